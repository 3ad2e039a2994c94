/**
 * Advisory fields: what a translation puts in the OpenAI view only because the client's own API
 * asks for it or hints at it (Anthropic requires `max_tokens`, and Claude Code sends 128,000; its
 * thinking settings become `reasoning_effort`; `metadata.user_id` becomes `user`). An OpenAI-format
 * model may refuse such a field (`max_tokens is too large`, `'reasoning_effort' is not supported
 * with this model`), with a 400 naming it in `param`. Then the request is sent once more without
 * it, and the deployment is remembered (a bounded number of them) so the next request leaves it
 * out at once. A field the client set in the API it called is never dropped this way.
 */
import { LRUCache } from 'lru-cache';
import { isGatewayError } from './errors.js';
import type { ChatCompletionRequest } from './protocol/openai.js';

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

  /** The body without the advisory fields this deployment refused before. */
  strip(body: ChatCompletionRequest, advisory: ReadonlySet<string>, deployment: string): ChatCompletionRequest {
    const refused = this.refused.get(deployment);
    if (!refused || advisory.size === 0) return body;
    const kept = { ...body };
    for (const field of refused) if (advisory.has(field)) delete kept[field];
    return kept;
  }

  /**
   * When `error` is the upstream refusing an advisory field present in `body`: remembers it and
   * returns the body without it, to send again. Undefined when the error is anything else.
   */
  without(error: unknown, body: ChatCompletionRequest, advisory: ReadonlySet<string>, deployment: string): ChatCompletionRequest | undefined {
    const field = isGatewayError(error) && error.status === 400 ? refusedField(error.param, error.message) : undefined;
    if (field === undefined || !advisory.has(field) || body[field] === undefined) return undefined;
    this.remember(deployment, field);
    const kept = { ...body };
    delete kept[field];
    return kept;
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
