/**
 * `POST {baseURL}/messages`, whole or streamed. An OpenAI request is translated on the way up and
 * the answer on the way back; a request that came in as Anthropic (`input.native`) goes up as the
 * client wrote it and its answer carries the upstream's own events for the client to receive as-is.
 */
import { GatewayError, attachNative, decodeSse, jsonHeaders, type ChatCallInput, type ChatCompletionChunk, type ChatResult, type UnsupportedParamsPolicy, type UpstreamHttpClient } from 'llm-gateway/provider-kit';
import { withConfiguredBetas } from './betas.js';
import { toAnthropicRequest, type AnthropicCall } from '../protocol/from-openai-request.js';
import { AnthropicStreamTranslator, toOpenAICompletion } from '../protocol/to-openai-response.js';
import type { AnthropicMessage, AnthropicStreamEvent } from '../protocol/types.js';

export interface MessagesSettings {
  headers: Record<string, string>;
  policy: UnsupportedParamsPolicy;
  defaultMaxTokens: number;
}

export async function createMessage(client: UpstreamHttpClient, settings: MessagesSettings, input: ChatCallInput): Promise<ChatResult> {
  const native = input.native?.protocol === 'anthropic';
  const call = upstreamCall(client.provider, settings, input);
  const streaming = call.body.stream === true;
  const exchange = await client.send({
    method: 'POST',
    // The client's query (Claude Code's `?beta=true`) goes along with its own request.
    path: native && input.native?.query ? `/messages?${input.native.query}` : '/messages',
    headers: jsonHeaders(streaming, settings.headers, input.headers, native ? withConfiguredBetas(settings.headers['anthropic-beta'], input.native?.headers) : undefined),
    body: (input.encodeBody ?? JSON.stringify)(call.body),
    signal: input,
  });
  await client.expectOk(exchange);

  if (!streaming) {
    const text = await client.readText(exchange);
    const body = client.parseJson(text);
    if (!isMessage(body)) throw malformed(client.provider, 'the answer is not a message (no content)');
    const completion = toOpenAICompletion(body, call.jsonTool);
    // The upstream's own bytes, for an Anthropic client.
    if (native) attachNative(completion, { protocol: 'anthropic', event: 'message', data: text });
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: completion };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(client.provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  const translator = new AnthropicStreamTranslator(client.provider, call.jsonTool, native);
  const chunks = translateEvents(client.provider, decodeSse(exchange), translator);
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks, usageSoFar: () => translator.usageSoFar() };
}

/** The Anthropic body to send: the client's own when it spoke Anthropic, else a translation. */
export function upstreamCall(provider: string, settings: MessagesSettings, input: ChatCallInput): AnthropicCall {
  if (input.native?.protocol === 'anthropic') return { body: { ...(input.native.body as AnthropicCall['body']), model: input.body.model } };
  return toAnthropicRequest(input.body, { provider, policy: settings.policy, defaultMaxTokens: settings.defaultMaxTokens, version: settings.headers['anthropic-version'] });
}

async function* translateEvents(provider: string, events: AsyncIterable<{ event?: string | undefined; data: string }>, translator: AnthropicStreamTranslator): AsyncGenerator<ChatCompletionChunk> {
  for await (const message of events) {
    let event: AnthropicStreamEvent;
    try {
      event = JSON.parse(message.data) as AnthropicStreamEvent;
    } catch {
      throw malformed(provider, 'the stream carried an event that is not JSON');
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') throw malformed(provider, 'the stream carried an event without a type');
    yield* translator.translate(event, message.data);
    if (translator.complete) return;
  }
  translator.assertComplete();
}

function isMessage(body: unknown): body is AnthropicMessage {
  return typeof body === 'object' && body !== null && Array.isArray((body as { content?: unknown }).content);
}

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code: 'upstream_invalid_response', retryable: true });
}
