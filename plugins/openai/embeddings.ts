/**
 * `POST {baseURL}/embeddings` in OpenAI's format, which compatible servers (Mistral, Ollama, vLLM) share.
 * `body` is what goes up when a host names the model otherwise (Azure's v1 API: the deployment).
 * `rules`: what the host says in its usage beyond OpenAI's fields (host-usage.ts).
 */
import { type EmbeddingsResponse, GatewayError } from 'llm-gateway/plugin';
import { type EmbeddingsCallInput, type JsonResult, type UpstreamHttpClient, encodedEmbedding, jsonHeaders } from 'llm-gateway/provider-kit';
import { type HostRules, PLAIN_HOST, readHostUsage } from './host-usage.js';

const LARGEST_EMBEDDINGS_ANSWER = 256 * 1024 * 1024;

export async function createEmbeddings(client: UpstreamHttpClient, headers: Record<string, string>, input: EmbeddingsCallInput, path = '/embeddings', requestBody = input.body, rules: HostRules = PLAIN_HOST): Promise<JsonResult<EmbeddingsResponse>> {
  const exchange = await client.send({
    method: 'POST',
    path,
    headers: jsonHeaders(false, headers, input.headers),
    body: JSON.stringify(requestBody),
    signal: input,
  });
  await client.expectOk(exchange);
  // Embeddings are the largest answers a provider gives: 2048 inputs of 3072 floats are about
  // 180 MiB as OpenAI indents them. A batch the client asked for is read whole, up to 256 MiB.
  const text = await client.readText(exchange, LARGEST_EMBEDDINGS_ANSWER);
  const body = client.parseJson(text);
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { data?: unknown }).data)) {
    throw new GatewayError('upstream', `${client.provider}: the answer is not an embeddings list (no data)`, { provider: client.provider, code: 'upstream_invalid_response', retryable: true });
  }
  const answer = body as EmbeddingsResponse;
  readHostUsage(answer.usage, rules);
  // Floats from a host that ignored a base64 request (Ollama, LM Studio): re-encoded, so not sent as they came.
  if (input.body.encoding_format === 'base64' && answer.data.some((item) => Array.isArray(item?.embedding))) {
    for (const item of answer.data) if (Array.isArray(item?.embedding)) item.embedding = encodedEmbedding(item.embedding, 'base64');
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: answer };
  }
  // The answer is the upstream's JSON as it came: the kernel may send its text (vectors are dear to serialise).
  return { kind: 'json', status: exchange.status, headers: exchange.headers, body: answer, raw: { body: answer, text } };
}
