/**
 * `POST {baseURL}/responses`, whole or streamed, for a Responses API request passed through natively
 * (`input.native`, protocol `openai-responses`): the client's body goes up as it wrote it, only its
 * `model` replaced by the target's, and the answer comes back with the upstream's own body or
 * events attached (for the Responses front-end to replay byte for byte) to the chat completion or
 * chunks plugins read. Wire format: https://platform.openai.com/docs/api-reference/responses
 * (openai-node `src/resources/responses/responses.ts`).
 */
import { GatewayError } from 'llm-gateway/plugin';
import { type ChatCallInput, type ChatCompletionChunk, type ChatResult, type UpstreamHttpClient, decodeSse, jsonHeaders } from 'llm-gateway/provider-kit';
import { ResponsesStreamTranslator, toChatCompletion, type ResponseObject } from 'llm-gateway/plugins/responses';

export async function createResponse(client: UpstreamHttpClient, headers: Record<string, string>, input: ChatCallInput, path = '/responses'): Promise<ChatResult> {
  const native = input.native;
  if (native?.protocol !== 'openai-responses') throw new GatewayError('internal', 'A Responses API request was expected.', { code: 'not_a_responses_request', retryable: false });
  const body: Record<string, unknown> = { ...native.body, model: input.body.model };
  const streaming = body.stream === true;
  const exchange = await client.send({
    method: 'POST',
    path,
    headers: jsonHeaders(streaming, headers, input.headers, native.headers),
    body: (input.encodeBody ?? JSON.stringify)(body),
    signal: input,
  });
  await client.expectOk(exchange);

  if (!streaming) {
    const text = await client.readText(exchange);
    const response = parseResponse(client.provider, text);
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: toChatCompletion(response, text) };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(client.provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks: translateEvents(decodeSse(exchange), new ResponsesStreamTranslator(client.provider)) };
}

async function* translateEvents(events: AsyncIterable<{ event?: string | undefined; data: string }>, translator: ResponsesStreamTranslator): AsyncGenerator<ChatCompletionChunk> {
  for await (const message of events) {
    yield* translator.translate(message.event ?? '', message.data);
    // A failure reported by the upstream reaches the client as the upstream wrote it, then ends the stream.
    if (translator.failure) throw translator.failure;
    if (translator.complete) return;
  }
  translator.assertComplete();
}

function parseResponse(provider: string, text: string): ResponseObject {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformed(provider, 'the provider answered with a body that is not JSON');
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { output?: unknown }).output)) throw malformed(provider, 'the answer is not a response (no output)');
  return body as ResponseObject;
}

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code: 'upstream_invalid_response', retryable: true });
}
