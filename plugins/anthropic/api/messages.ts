/**
 * `POST /v1/messages`: Anthropic's Messages API, so Anthropic clients (Claude Code with
 * `ANTHROPIC_BASE_URL`, the SDKs) can reach any provider.
 *
 * The request is translated to OpenAI's format, which plugins read and non-Anthropic adapters send;
 * the original rides along and an Anthropic upstream receives it as written, answering with its
 * own bytes (see `nativeProtocols`). Other upstreams' answers are translated into Anthropic's events.
 */
import type { Context as KoaContext } from 'koa';
import { SKIP, chunksUnchanged, clientGone, defineFrontEnd, estimatePromptTokens, mapStream, nativeOf, toGatewayError, type ChatCompletion, type ChatCompletionChunk, type GatewayContext, type NativeRequest } from 'llm-gateway/plugin';
import { withoutCarriers } from '../protocol/carried-call-data.js';
import { toAnthropicErrorBody } from '../protocol/errors.js';
import { AnthropicEventWriter, toAnthropicMessage } from '../protocol/from-openai-response.js';
import type { ToolNameMap } from '../protocol/tool-names.js';
import { toOpenAIRequest } from '../protocol/to-openai-request.js';
import type { AnthropicStreamEvent } from '../protocol/types.js';
import { validateMessagesRequest } from '../protocol/validate-request.js';

/**
 * Anthropic headers that change what the upstream does, forwarded to an Anthropic upstream: the
 * client's `anthropic-version` too, whose rules its request was written to (the SDK 1.17 sends
 * 2026-10-21, which removed `temperature`; the provider's configured version is for other clients).
 */
const FORWARDED_HEADERS = ['anthropic-beta', 'anthropic-version'];

/** What the answer needs of the request: the model name as the client wrote it, which the answer repeats, and its tool names the translation replaced. */
interface ClientRequest {
  model: string;
  toolNames?: ToolNameMap;
}

export const messagesApi = defineFrontEnd<ClientRequest>({
  endpoint: 'messages',
  paths: ['/v1/messages'],
  parse(body, http) {
    const anthropic = validateMessagesRequest(body);
    const { request, losses, toolNames } = toOpenAIRequest(anthropic);
    // Anthropic requires max_tokens (Claude Code sends 128,000) and its thinking settings become a
    // reasoning effort: hints an OpenAI-format model may refuse, and then gets the request without.
    return { operation: 'chat', request, native: nativeRequest(http, withoutCarriers(anthropic)), losses, advisory: ['max_tokens', 'reasoning_effort', 'user', 'top_k'], state: toolNames ? { model: anthropic.model, toolNames } : { model: anthropic.model } };
  },
  renderJson: (_ctx, completion, { model, toolNames }) => nativeJson(completion as ChatCompletion) ?? toAnthropicMessage(completion as ChatCompletion, model, toolNames),
  renderStream: (ctx, chunks, { model, toolNames }) => anthropicEvents(ctx, chunks, model, toolNames),
  renderError: (error, requestId) => toAnthropicErrorBody(error, requestId),
});

/** The client's request as it sent it, with the headers and query an Anthropic upstream should see too. */
export function nativeRequest(http: KoaContext, body: Record<string, unknown>): NativeRequest {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = http.get(name);
    if (value) headers[name] = value;
  }
  return { protocol: 'anthropic', body, headers, ...(http.querystring ? { query: http.querystring } : {}) };
}

/** An Anthropic upstream's own message, when it answered one: its bytes as they came (the kernel sends text as JSON). */
function nativeJson(completion: ChatCompletion): string | undefined {
  return nativeOf(completion, 'anthropic')?.data;
}

/**
 * The Anthropic event stream. If the upstream spoke Anthropic (its first chunk says so) and no
 * plugin mapped the stream, its events are replayed byte for byte; otherwise each OpenAI chunk is
 * translated as it arrives, from the first, so whatever a plugin changed or added reaches the client.
 * A failure mid-way ends the stream with an `error` event and no `message_stop`.
 */
function anthropicEvents(ctx: GatewayContext, chunks: AsyncIterable<ChatCompletionChunk>, model: string, toolNames: ToolNameMap | undefined): AsyncIterable<string> {
  const writer = new AnthropicEventWriter(model, toolNames, () => estimatePromptTokens(ctx.request));
  // Decided once: the upstream's events would replay what a plugin's map replaced.
  let passThrough = chunksUnchanged(chunks) ? undefined : false;
  return mapStream(chunks, {
    item(chunk) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      if (passThrough !== false) {
        const native = nativeOf(chunk, 'anthropic');
        passThrough ??= native !== undefined;
        // Events an upstream's one event became beyond the first carry none: they are in its text.
        if (passThrough) return native ? `event: ${native.event}\ndata: ${native.data}\n\n` : SKIP;
      }
      // Events for one chunk leave together (writeSse joins what arrives in one tick anyway).
      return writer.write(chunk).map(encode).join('') || SKIP;
    },
    end: () => (passThrough ? undefined : writer.end().map(encode).join('') || undefined),
    error(cause) {
      if (clientGone(ctx)) return undefined;
      const error = toGatewayError(cause);
      ctx.error = error;
      return `event: error\ndata: ${JSON.stringify(toAnthropicErrorBody(error))}\n\n`;
    },
  });
}

function encode(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
