/**
 * `POST /v1/chat/completions`: OpenAI's chat completions API. The request is the pipeline's own
 * format, so it is checked and passed on as it is; the answer goes back as OpenAI JSON or `data:`
 * events ending in `[DONE]`. A failure after the first byte ends the stream with an error event and
 * no `[DONE]`, so a cut answer never looks like a complete one.
 */
import { type ChatCompletionChunk, type GatewayContext, SKIP, defineFrontEnd, mapStream } from 'llm-gateway/plugin';
import { DONE_EVENT, failureEvent } from './sse-events.js';
import { rawOf } from '../raw-chunk.js';
import { validateChatRequest } from './validate-chat-request.js';

/** Remembered from the client's request: whether it wants a stream's usage chunk. */
interface ClientAsked {
  includeUsage: boolean;
}

export const chatCompletionsApi = defineFrontEnd<ClientAsked>({
  endpoint: 'chat.completions',
  paths: ['/v1/chat/completions'],
  parse(body) {
    const request = validateChatRequest(body);
    // The upstream is always asked for a stream's usage (core/provider-call.ts), which its record,
    // cost and budgets settle from; the client gets the usage chunk only if it asked.
    const includeUsage = request.stream_options?.include_usage === true;
    return { operation: 'chat', request, state: { includeUsage } };
  },
  renderJson: (_ctx, completion) => completion,
  renderStream: (ctx, chunks, asked) => openAIEvents(ctx, chunks, asked.includeUsage),
  // Chunks go out as the upstream's own text where the adapter kept it (raw-chunk.ts).
  passThrough: true,
});

/** Adapters may report usage the client did not ask for (Anthropic always does): it gets what it asked for. */
function openAIEvents(ctx: GatewayContext, chunks: AsyncIterable<ChatCompletionChunk>, includeUsage: boolean): AsyncIterable<string> {
  return mapStream(chunks, {
    item(chunk) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      // A usage chunk (no choices: an empty list, or none at all) the client did not ask for.
      if (!includeUsage && chunk.usage && !(chunk.choices?.length > 0)) return SKIP;
      // The upstream's own text when no plugin replaced the chunk (raw-chunk.ts).
      return `data: ${rawOf(chunk) ?? JSON.stringify(chunk)}\n\n`;
    },
    end: () => DONE_EVENT,
    error: failureEvent(ctx),
  });
}
