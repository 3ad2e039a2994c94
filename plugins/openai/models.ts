/** `GET {baseURL}/models`: the OpenAI list format, which every compatible server also speaks (Together: the bare list). */
import { GatewayError } from 'llm-gateway/plugin';
import type { ProviderModel, UpstreamHttpClient } from 'llm-gateway/provider-kit';

export async function listModels(client: UpstreamHttpClient, headers: Record<string, string>, signal: AbortSignal): Promise<ProviderModel[]> {
  const exchange = await client.send({ method: 'GET', path: '/models', headers: { ...headers, accept: 'application/json' }, signal });
  await client.expectOk(exchange);
  const body = (await client.readJson(exchange)) as { data?: unknown } | unknown[];
  // Together answers with the list itself, not OpenAI's `{ object: 'list', data }`.
  const models = Array.isArray(body) ? body : body.data;
  if (!Array.isArray(models)) {
    throw new GatewayError('upstream', `${client.provider}: the model list has no data array`, { provider: client.provider, code: 'upstream_invalid_response' });
  }
  return models
    .filter((m): m is { id: string; created?: unknown; owned_by?: unknown } => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string')
    .map((m) => ({
      id: m.id,
      ...(typeof m.created === 'number' ? { created: m.created } : {}),
      ...(typeof m.owned_by === 'string' ? { ownedBy: m.owned_by } : {}),
    }));
}
