/**
 * gateway:token-counter, token counts for every request, exact for OpenAI-family models.
 *
 * Options: whether to load the tokenizer's tables at start (about 0.4 s and 85 MB for both) rather
 * than when a model first needs them. By default (`'auto'`) they load at start only for a config
 * that will need them: a provider of type `openai` or `azure` (OpenAI's models), or a model name
 * in the config that has an encoding (`models` of a provider, targets of virtual models). A gateway
 * that serves other models never loads them; one that meets an OpenAI model only in a request
 * (`openrouter/openai/gpt-4o`) loads its encoding then, once.
 *
 * On the way in: offers the prompt's count (rules, token limits and budget checks read it from
 * `tokenCountSlot`). On the way out: keeps the answer's text as it passes, so that an upstream
 * that reports no usage, or a stream the client cancels, is still accounted for what was
 * generated (`usageOf(ctx)`, usage-of.ts).
 *
 * The tokenizer is the costly part (a BPE pass over every prompt), and most requests never need
 * it: the upstream reports usage. So nothing is counted until someone reads the count: the prompt
 * when a rule, a token limit or a budget asks for `promptTokens`, the answer when `usageOf` finds
 * no usage from the upstream. A streamed answer's text is held until then, in slices of at most
 * PENDING_TEXT_LIMIT characters: a longer one is counted as it passes, so memory stays bounded.
 */
import { definePlugin, reasoningTextOf, tapStream, type ChatCompletionChunk, type GatewayContext, type ResolvedConfig } from 'llm-gateway/plugin';
import { tokenCountSlot, type TokenCount } from './usage-of.js';
import { ENCODINGS, countCompletionTokens, countPromptTokens, encodingFor, preloadEncodings, type EncodingName } from './count.js';

export interface TokenCounterOptions {
  /**
   * Load the tokenizer's tables at start (`true`), when a model first needs them (`false`), or at
   * start only for the encodings the config's providers and models need (`'auto'`, the default).
   */
  preload?: boolean | 'auto';
}

const defaults: { preload: boolean | 'auto' } = { preload: 'auto' };

export const tokenCounter = definePlugin<TokenCounterOptions, typeof defaults>({
  name: 'gateway:token-counter',
  order: 'pre',
  schema: { type: 'object', additionalProperties: false, properties: { preload: { enum: [true, false, 'auto'] } } },
  defaults,
  setup(host, options) {
    if (options.preload === true) preloadEncodings();
    else if (options.preload === 'auto') preloadEncodings(encodingsTheConfigNeeds(host.config));
    return {
      async middleware(ctx, next) {
        const count = new LazyCount(ctx);
        ctx.set(tokenCountSlot, count);

        await next();

        const response = ctx.response;
        if (!response) return;
        if (response.kind === 'json') {
          const body = response.body;
          count.addLater(() => body.choices.map((c) => textOf(c.message)).join(''));
          return;
        }
        if (response.kind === 'stream') ctx.response = { ...response, chunks: tapStream(response.chunks, { chunk: (chunk) => keepText(chunk, count), lazyChunks: true }) };
      },
    };
  },
});

/** Providers whose models are OpenAI's: any of them may be asked for with either encoding. */
const OPENAI_MODEL_PROVIDERS = new Set(['openai', 'azure']);

/** The encodings the configured providers and the model names in the config call for. */
export function encodingsTheConfigNeeds(config: Pick<ResolvedConfig, 'providers' | 'models'>): EncodingName[] {
  const needed = new Set<EncodingName>();
  const add = (model: string) => {
    const encoding = encodingFor(model);
    if (encoding) needed.add(encoding);
  };
  for (const { options } of config.providers) {
    if (OPENAI_MODEL_PROVIDERS.has(options.type)) return [...ENCODINGS];
    for (const model of options.models ?? []) add(model);
  }
  for (const virtual of config.models.values()) for (const target of virtual.targets) add(target.model);
  return [...needed];
}

/** Text held uncounted, at most; past it, the held text is counted and let go. */
const PENDING_TEXT_LIMIT = 16_384;

/** A TokenCount that runs the tokenizer only when a figure is read (see the top of this file). */
class LazyCount implements TokenCount {
  private prompt: { tokens: number; exact: boolean } | undefined;
  private counted = 0;
  private countedExact = true;
  private pending = '';
  private later: (() => string) | undefined;

  constructor(private readonly ctx: GatewayContext) {}

  get promptTokens(): number {
    this.prompt ??= countPromptTokens(this.ctx.request);
    return this.prompt.tokens;
  }
  set promptTokens(value: number) {
    this.prompt = { tokens: value, exact: this.prompt?.exact ?? false };
  }

  get completionTokens(): number {
    this.flush();
    return this.counted;
  }
  set completionTokens(value: number) {
    this.flush();
    this.counted = value;
  }

  get exact(): boolean {
    this.prompt ??= countPromptTokens(this.ctx.request);
    this.flush();
    return this.prompt.exact && this.countedExact;
  }
  set exact(value: boolean) {
    this.countedExact = value;
  }

  /** Answer text to count if anyone asks. */
  add(text: string): void {
    this.pending += text;
    if (this.pending.length > PENDING_TEXT_LIMIT) this.flush();
  }

  /** The whole answer's text, computed only if anyone asks. */
  addLater(text: () => string): void {
    this.later = text;
  }

  private flush(): void {
    if (this.later) {
      this.pending += this.later();
      this.later = undefined;
    }
    if (!this.pending) return;
    const counted = countCompletionTokens(this.ctx.servedBy?.model ?? this.ctx.request.model, this.pending);
    this.pending = '';
    this.counted += counted.tokens;
    this.countedExact &&= counted.exact;
  }
}

function keepText(chunk: ChatCompletionChunk, count: LazyCount): void {
  const choices = chunk.choices;
  if (choices) for (let i = 0; i < choices.length; i++) count.add(textOf(choices[i]!.delta));
}

/** The generated text of a message or delta: content, reasoning and tool call arguments. */
function textOf(part: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: ReadonlyArray<{ function?: { name?: string; arguments?: string } }> } | undefined): string {
  if (!part) return '';
  let text = typeof part.content === 'string' ? part.content : '';
  text += reasoningTextOf(part);
  for (const call of part.tool_calls ?? []) text += (call.function?.name ?? '') + (call.function?.arguments ?? '');
  return text;
}

export { countCompletionTokens, countPromptTokens, encodingFor } from './count.js';
export { tokenCountSlot, usageOf } from './usage-of.js';
export type { TokenCount } from './usage-of.js';
