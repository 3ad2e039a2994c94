/**
 * Advisory fields: what a translation puts in the OpenAI view only because the client's own API
 * asks for it or hints at it (Anthropic requires `max_tokens`, and Claude Code sends 128,000; its
 * thinking settings become `reasoning_effort`; `metadata.user_id` becomes `user`). An OpenAI-format
 * model may refuse such a field (`max_tokens is too large`, `'reasoning_effort' is not supported
 * with this model`), with a 400 naming it in `param`. Then the request is sent once more without
 * it, and the deployment is remembered (a bounded number of them) so the next request leaves it
 * out at once. A field the client set in the API it called is never dropped this way. The kernel's
 * own ask for a stream's usage is such a hint, as is a field a front-end adds to a client's body
 * passed through (`NativeRequest.hints`).
 */
import { LRUCache } from 'lru-cache';
import { isGatewayError } from './errors.js';

/** A request body in any protocol: the chat view, or a client's own request passed through. */
type HintedBody = Record<string, unknown>;

/** Names an upstream may use for a field the view calls otherwise (OpenAI's own type sends `max_completion_tokens`), or for a part of it. */
const ALIASES: Readonly<Record<string, string>> = { max_completion_tokens: 'max_tokens', 'stream_options.include_usage': 'stream_options' };

export class AdvisoryFields {
  /** Deployment → advisory fields it refused; least recently used deployments forgotten past the cap. */
  private readonly refused: LRUCache<string, Set<string>>;

  constructor(cap = 1000) {
    this.refused = new LRUCache({ max: cap });
  }

  /** How many deployments are remembered (at most the cap). */
  get size(): number {
    return this.refused.size;
  }

  /**
   * Sends `body` without the advisory fields this deployment refused before, and again without one
   * the upstream refuses now (then remembered): at most one more send a hint.
   */
  send<Body extends HintedBody, Result>(body: Body, advisory: ReadonlySet<string>, deployment: string, sendOne: (body: Body) => Promise<Result>): Promise<Result> {
    // A request without hints (most JSON requests) has nothing to drop: no async frame, no lookup.
    return advisory.size === 0 ? sendOne(body) : this.sendHinted(body, advisory, deployment, sendOne);
  }

  private async sendHinted<Body extends HintedBody, Result>(body: Body, advisory: ReadonlySet<string>, deployment: string, sendOne: (body: Body) => Promise<Result>): Promise<Result> {
    let current = this.strip(body, advisory, deployment);
    for (;;) {
      try {
        return await sendOne(current);
      } catch (error) {
        const again = this.without(error, current, advisory, deployment);
        if (!again) throw error;
        current = again;
      }
    }
  }

  /** The body without the advisory fields this deployment refused before. */
  strip<Body extends HintedBody>(body: Body, advisory: ReadonlySet<string>, deployment: string): Body {
    const refused = this.refused.get(deployment);
    if (!refused || advisory.size === 0) return body;
    const kept: HintedBody = { ...body };
    for (const field of refused) if (advisory.has(field)) delete kept[field];
    return kept as Body;
  }

  /**
   * When `error` is the upstream refusing an advisory field present in `body`: remembers it and
   * returns the body without it, to send again. Undefined when the error is anything else.
   */
  without<Body extends HintedBody>(error: unknown, body: Body, advisory: ReadonlySet<string>, deployment: string): Body | undefined {
    const field = isGatewayError(error) && error.status === 400 ? refusedField(error.param, error.message) : undefined;
    if (field === undefined || !advisory.has(field) || body[field] === undefined) return undefined;
    this.remember(deployment, field);
    const kept: HintedBody = { ...body };
    delete kept[field];
    return kept as Body;
  }

  private remember(deployment: string, field: string): void {
    let fields = this.refused.get(deployment);
    if (!fields) {
      fields = new Set();
      this.refused.set(deployment, fields);
    }
    fields.add(field);
  }
}

/**
 * The field a 400 refuses: its `param`, or the one its message names where the upstream gives no
 * param (Azure OpenAI on an older api-version: "Unrecognized request argument supplied:
 * stream_options", `param: null`).
 */
function refusedField(param: string | null | undefined, message: string): string | undefined {
  const named = param || /Unrecognized request argument supplied: ([\w.]+)/.exec(message)?.[1];
  return named ? (ALIASES[named] ?? named) : undefined;
}
