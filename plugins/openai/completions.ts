/**
 * `POST {baseURL}/completions`, whole or streamed: OpenAI's legacy text completions, sent for a
 * client that spoke them (`input.native`, protocol `openai-completions`) to a host that serves them.
 * The client's body goes up as it wrote it (the model name aside); the answer reaches plugins as
 * OpenAI chat (each choice's text as `content`, usage kept) with the upstream's own JSON attached,
 * which the `/v1/completions` front-end hands the client as it came.
 *
 * Format: openai/openai-node `src/resources/completions.ts` (see completions-wire.ts).
 */
import { type ChatCallInput, type ChatCompletion, type ChatCompletionChunk, type ChatResult, GatewayError, type UpstreamHttpClient, attachNative, decodeSse, jsonHeaders, readErrorBody } from 'llm-gateway/provider-kit';
import type { TextCompletion, TextCompletionChoice } from './completions-wire.js';

const PROTOCOL = 'openai-completions';

export async function textCompletions(client: UpstreamHttpClient, headers: Record<string, string>, input: ChatCallInput): Promise<ChatResult> {
  const native = input.native;
  if (native?.protocol !== PROTOCOL) throw new GatewayError('internal', `${client.provider}: a text completion was sent without the client's request`, { provider: client.provider, retryable: false });
  const body: Record<string, unknown> = { ...native.body, model: input.body.model };
  const streaming = body.stream === true;
  const exchange = await client.send({
    method: 'POST',
    path: '/completions',
    headers: jsonHeaders(streaming, headers, input.headers),
    body: (input.encodeBody ?? JSON.stringify)(body),
    signal: input,
  });
  await client.expectOk(exchange);

  if (!streaming) {
    const text = await client.readText(exchange);
    const answer = client.parseJson(text);
    if (!isTextCompletion(answer)) throw malformed(client.provider, 'the answer is not a text completion (no choices)');
    const completion = attachNative(toChatCompletion(answer), { protocol: PROTOCOL, event: 'message', data: text });
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: completion };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(client.provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks: toChatChunks(client.provider, decodeSse(exchange)) };
}

/** The whole answer in chat terms, for plugins: each choice's text as the assistant's content. */
function toChatCompletion(answer: TextCompletion): ChatCompletion {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: answer.choices.map((choice) => ({ index: choice.index, message: { role: 'assistant', content: textOf(choice) }, finish_reason: choice.finish_reason, logprobs: choice.logprobs })),
    ...(answer.usage ? { usage: answer.usage } : {}),
  };
}

/**
 * Each event as a chat chunk carrying the event's own data. Like the chat adapter: an error event
 * mid-stream, or a stream that stops before any choice finished, is a failure naming the provider.
 */
async function* toChatChunks(provider: string, events: AsyncIterable<{ data: string }>): AsyncGenerator<ChatCompletionChunk> {
  let finished = false;
  for await (const event of events) {
    if (event.data === '[DONE]') return;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      throw malformed(provider, 'the stream carried an event that is not JSON');
    }
    if (typeof data !== 'object' || data === null) throw malformed(provider, 'the stream carried an event that is not an object');
    if ('error' in data && (data as { error: unknown }).error) {
      const detail = readErrorBody(event.data);
      throw new GatewayError('upstream', `${provider}: ${detail.message ?? 'the provider reported an error mid-stream'}`, { provider, code: detail.code ?? 'upstream_stream_error', retryable: true });
    }
    const part = data as Partial<TextCompletion>;
    const choices = Array.isArray(part.choices) ? part.choices : [];
    if (choices.some((choice) => choice.finish_reason)) finished = true;
    const chunk: ChatCompletionChunk = {
      id: String(part.id ?? ''),
      object: 'chat.completion.chunk',
      created: typeof part.created === 'number' ? part.created : 0,
      model: String(part.model ?? ''),
      choices: choices.map((choice) => ({ index: choice.index, delta: { content: textOf(choice) }, finish_reason: choice.finish_reason ?? null, logprobs: choice.logprobs ?? null })),
      ...(part.usage ? { usage: part.usage } : {}),
    };
    yield attachNative(chunk, { protocol: PROTOCOL, event: 'message', data: event.data });
  }
  // Some servers omit [DONE]; an answer that reached its finish_reason is complete all the same.
  if (!finished) throw malformed(provider, 'the stream ended before the answer was complete', 'upstream_stream_truncated');
}

function textOf(choice: Partial<TextCompletionChoice>): string {
  return typeof choice.text === 'string' ? choice.text : '';
}

function isTextCompletion(body: unknown): body is TextCompletion {
  return typeof body === 'object' && body !== null && Array.isArray((body as { choices?: unknown }).choices);
}

function malformed(provider: string, what: string, code = 'upstream_invalid_response'): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code, retryable: true });
}
