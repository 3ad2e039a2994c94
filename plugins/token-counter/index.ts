/**
 * gateway:token-counter, token counts for every request, exact for OpenAI-family models.
 *
 * Options: whether to load the tokenizer at start (about 0.4 s) rather than on the first request.
 *
 * On the way in: counts the prompt (rules, token limits and budget checks read it from
 * `tokenCountSlot`) and asks a streaming upstream to report usage (`stream_options.include_usage`;
 * the client still gets only what it asked for). On the way out: counts the answer as it passes,
 * chunk by chunk, so that an upstream that reports no usage, or a stream the client cancels, is
 * still accounted for what was generated (`usageOf(ctx)`, usage-of.ts).
 */
import { definePlugin, type ChatCompletionChunk, type GatewayContext } from 'llm-gateway/plugin';
import { tokenCountSlot, type TokenCount } from './usage-of.js';
import { countCompletionTokens, countPromptTokens, preloadEncodings } from './count.js';

export interface TokenCounterOptions {
  /** Load the tokenizer's tables at start instead of on the first request. Default true. */
  preload?: boolean;
}

const defaults = { preload: true } satisfies TokenCounterOptions;

export const tokenCounter = definePlugin<TokenCounterOptions, typeof defaults>({
  name: 'gateway:token-counter',
  order: 'pre',
  schema: { type: 'object', additionalProperties: false, properties: { preload: { type: 'boolean' } } },
  defaults,
  setup(_host, options) {
    if (options.preload) preloadEncodings();
    return {
      async middleware(ctx, next) {
        const prompt = countPromptTokens(ctx.request);
        const count: TokenCount = { promptTokens: prompt.tokens, completionTokens: 0, exact: prompt.exact };
        ctx.set(tokenCountSlot, count);
        const request = ctx.request;
        if (request.stream === true && request.stream_options?.include_usage !== true) {
          request.stream_options = { ...request.stream_options, include_usage: true };
        }

        await next();

        const response = ctx.response;
        if (!response) return;
        if (response.kind === 'json') {
          const text = response.body.choices.map((c) => textOf(c.message)).join('');
          count.completionTokens = countFor(ctx, text, count);
          return;
        }
        if (response.kind === 'stream') ctx.response = { ...response, chunks: countAsTheyPass(response.chunks, ctx, count) };
      },
    };
  },
});

async function* countAsTheyPass(chunks: AsyncIterable<ChatCompletionChunk>, ctx: GatewayContext, count: TokenCount): AsyncGenerator<ChatCompletionChunk> {
  for await (const chunk of chunks) {
    let text = '';
    for (const choice of chunk.choices ?? []) text += textOf(choice.delta);
    if (text) count.completionTokens += countFor(ctx, text, count);
    yield chunk;
  }
}

function countFor(ctx: GatewayContext, text: string, count: TokenCount): number {
  if (!text) return 0;
  const counted = countCompletionTokens(ctx.servedBy?.model ?? ctx.request.model, text);
  count.exact &&= counted.exact;
  return counted.tokens;
}

/** The generated text of a message or delta: content, reasoning and tool call arguments. */
function textOf(part: { content?: unknown; reasoning_content?: unknown; tool_calls?: ReadonlyArray<{ function?: { name?: string; arguments?: string } }> } | undefined): string {
  if (!part) return '';
  let text = typeof part.content === 'string' ? part.content : '';
  if (typeof part.reasoning_content === 'string') text += part.reasoning_content;
  for (const call of part.tool_calls ?? []) text += (call.function?.name ?? '') + (call.function?.arguments ?? '');
  return text;
}

export { countCompletionTokens, countPromptTokens, encodingFor } from './count.js';
export { tokenCountSlot, usageOf } from './usage-of.js';
export type { TokenCount } from './usage-of.js';
