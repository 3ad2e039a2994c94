/**
 * `POST /v1/messages` and `POST /v1/messages/count_tokens`: the Anthropic front-end, so Anthropic
 * clients (Claude Code with `ANTHROPIC_BASE_URL`, the SDKs) can reach any provider.
 *
 * The request is translated to OpenAI's format, which plugins read and non-Anthropic adapters send;
 * the original rides along and an Anthropic upstream receives it as written, answering with its
 * own bytes (protocol/native.ts). Other upstreams' answers are translated into Anthropic's events.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../context.js';
import { toGatewayError } from '../errors.js';
import { toAnthropicErrorBody } from '../protocol/anthropic/errors.js';
import { AnthropicEventWriter, toAnthropicMessage } from '../protocol/anthropic/from-openai-response.js';
import { toOpenAIRequest } from '../protocol/anthropic/to-openai-request.js';
import type { AnthropicStreamEvent } from '../protocol/anthropic/types.js';
import { validateMessagesRequest } from '../protocol/anthropic/validate-request.js';
import { nativeOf, type NativeRequest } from '../protocol/native.js';
import type { ChatCompletion, ChatCompletionChunk } from '../protocol/openai.js';
import type { ModelResolver } from '../routing/resolve-model.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { takeRoutingHints } from '../routing/hints.js';
import { estimatePromptTokens } from '../tokens.js';
import { clientGone, runExchange, type ExchangeDeps } from './exchange.js';
import { readJsonBody } from './read-json-body.js';

export interface MessagesRouteDeps extends ExchangeDeps {
  bodyLimit: number;
}

/** Anthropic headers that change what the upstream does, forwarded to an Anthropic upstream. */
const FORWARDED_HEADERS = ['anthropic-beta'];

export function messagesRoute(deps: MessagesRouteDeps) {
  return async function messages(koa: KoaContext): Promise<void> {
    const body = await readJsonBody(koa.req, deps.bodyLimit);
    const hints = takeRoutingHints(koa.req.headers, body);
    const anthropic = validateMessagesRequest(body);
    const translation = toOpenAIRequest(anthropic);
    const ctx = new GatewayContext({ endpoint: 'messages', id: koa.requestId, http: koa, request: translation.request, startedAt: koa.startedAt });
    ctx.hints = hints;
    ctx.setNativeRequest(nativeRequest(koa, anthropic), translation.losses);
    const model = anthropic.model;
    await runExchange(koa, ctx, deps, {
      renderJson: (completion) => nativeJson(completion) ?? toAnthropicMessage(completion, model),
      encodeStream: (chunks) => anthropicEvents(ctx, chunks, model),
    });
  };
}

export interface CountTokensDeps {
  resolver: ModelResolver;
  providers: ProviderRegistry;
  bodyLimit: number;
}

/**
 * The provider's own count when the model's first target can count (Anthropic can), else the
 * gateway's estimate. Counting is free and fast, so it bypasses the plugin pipeline.
 */
export function countTokensRoute(deps: CountTokensDeps) {
  return async function countTokens(koa: KoaContext): Promise<void> {
    const body = await readJsonBody(koa.req, deps.bodyLimit);
    delete body.gateway;
    const anthropic = validateMessagesRequest(body, true);
    const { request } = toOpenAIRequest(anthropic);
    const target = deps.resolver.resolve(anthropic.model).targets[0];
    const provider = target ? deps.providers.get(target.provider) : undefined;
    if (target && provider?.countTokens) {
      const controller = new AbortController();
      koa.res.once('close', () => controller.abort());
      const native = nativeRequest(koa, anthropic);
      const inputTokens = await provider.countTokens({ body: { ...request, model: target.model }, signal: controller.signal, native, headers: { 'x-request-id': koa.requestId } });
      koa.body = { input_tokens: inputTokens };
      return;
    }
    koa.set('x-gateway-token-count', 'estimate');
    koa.body = { input_tokens: estimatePromptTokens(request) };
  };
}

function nativeRequest(koa: KoaContext, body: Record<string, unknown>): NativeRequest {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = koa.get(name);
    if (value) headers[name] = value;
  }
  return { protocol: 'anthropic', body, headers, ...(koa.querystring ? { query: koa.querystring } : {}) };
}

/** An Anthropic upstream's own message, when it answered one. */
function nativeJson(completion: ChatCompletion): unknown {
  const native = nativeOf(completion, 'anthropic');
  return native ? (JSON.parse(native.data) as unknown) : undefined;
}

/**
 * The Anthropic event stream. If the upstream spoke Anthropic (its first chunk says so), its events
 * are replayed byte for byte; otherwise each OpenAI chunk is translated as it arrives. A failure
 * mid-way ends the stream with an `error` event and no `message_stop`.
 */
async function* anthropicEvents(ctx: GatewayContext, chunks: AsyncIterable<ChatCompletionChunk>, model: string): AsyncGenerator<string> {
  const writer = new AnthropicEventWriter(model);
  let passThrough: boolean | undefined;
  try {
    for await (const chunk of chunks) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      const native = nativeOf(chunk, 'anthropic');
      passThrough ??= native !== undefined;
      if (passThrough) {
        if (native) yield `event: ${native.event}\ndata: ${native.data}\n\n`;
        continue;
      }
      yield* writer.write(chunk).map(encode);
    }
    if (!passThrough) yield* writer.end().map(encode);
  } catch (cause) {
    if (clientGone(ctx)) return;
    const error = toGatewayError(cause);
    ctx.error = error;
    yield `event: error\ndata: ${JSON.stringify(toAnthropicErrorBody(error))}\n\n`;
  }
}

function encode(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
