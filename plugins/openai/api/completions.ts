/**
 * `POST /v1/completions`: OpenAI's legacy text completions, which autocomplete and
 * fill-in-the-middle tools still use (format: openai/openai-node `src/resources/completions.ts`;
 * https://platform.openai.com/docs/api-reference/completions).
 *
 * A host that serves `/completions` (the `openai` type, `openai-compatible` with `completions:
 * true`) receives the client's body as written and the client gets the upstream's own bytes back.
 * Any other provider answers the chat view (the prompt as one user message); its answer is
 * written as a `text_completion`, and what chat cannot express (`suffix`, `best_of`, `logprobs`,
 * token prompts) goes by the provider's `unsupportedParams` policy. A failure mid-stream ends the
 * stream with an OpenAI error event and no `[DONE]`, as chat does.
 */
import { type ChatCompletion, type ChatCompletionChunk, type GatewayContext, SKIP, chunksUnchanged, defineFrontEnd, mapStream, nativeOf } from 'llm-gateway/plugin';
import { DONE_EVENT, failureEvent } from './sse-events.js';
import { readCompletionsRequest } from './completions-request.js';
import { TextCompletionChunks, toTextCompletion } from './text-completion-writer.js';

const PROTOCOL = 'openai-completions';

/** What the answer must say that the chat view does not: the echoed prompt, and whether usage was asked for. */
interface ClientAsked {
  echo: string;
  includeUsage: boolean;
}

export const completionsApi = defineFrontEnd<ClientAsked>({
  endpoint: 'completions',
  paths: ['/v1/completions'],
  parse(raw) {
    const { body, request, losses, echo } = readCompletionsRequest(raw);
    // A host that serves text completions is asked for a stream's usage too, as the chat view is:
    // the record settles from it. The client gets the usage chunk only if it asked; if it did not,
    // the ask is the gateway's hint, which a host that refuses stream_options is sent again without.
    const asks = body.stream === true && body.stream_options?.include_usage !== true;
    const native = asks ? { ...body, stream_options: { ...body.stream_options, include_usage: true } } : body;
    return {
      operation: 'chat',
      request,
      native: { protocol: PROTOCOL, body: native, headers: {}, ...(asks ? { hints: ['stream_options'] } : {}) },
      losses,
      state: { echo, includeUsage: body.stream_options?.include_usage === true },
    };
  },
  renderJson(_ctx, answer, asked) {
    const native = nativeOf(answer, PROTOCOL);
    if (!native) return toTextCompletion(answer as ChatCompletion, asked.echo);
    // The upstream's own bytes (the kernel sends text as JSON).
    return native.data;
  },
  renderStream: (ctx, chunks, asked) => textCompletionEvents(ctx, chunks, asked),
});

/**
 * The event stream. If the upstream served text completions (its first chunk says so) and no plugin
 * mapped the stream, its events are replayed as they came; otherwise each chat chunk is written as
 * a text completion chunk.
 */
function textCompletionEvents(ctx: GatewayContext, chunks: AsyncIterable<ChatCompletionChunk>, asked: ClientAsked): AsyncIterable<string> {
  const writer = new TextCompletionChunks(asked.echo, asked.includeUsage);
  // Decided once: the upstream's events would replay what a plugin's map replaced.
  let passThrough = chunksUnchanged(chunks) ? undefined : false;
  return mapStream(chunks, {
    item(chunk) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      if (passThrough !== false) {
        const native = nativeOf(chunk, PROTOCOL);
        passThrough ??= native !== undefined;
        // A usage chunk (no choices) the client did not ask for stays here.
        if (passThrough) return native && (asked.includeUsage || !chunk.usage || chunk.choices?.length > 0) ? `data: ${native.data}\n\n` : SKIP;
      }
      const written = writer.write(chunk);
      return written ? `data: ${JSON.stringify(written)}\n\n` : SKIP;
    },
    end: () => DONE_EVENT,
    error: failureEvent(ctx),
  });
}
