/** `GET {baseURL}/models`: the OpenAI list format, which every compatible server also speaks (Together: the bare list). */
import { GatewayError } from 'llm-gateway/plugin';
import type { ListedPrice, ProviderModel, UpstreamHttpClient } from 'llm-gateway/provider-kit';

/** `listedPrices`: read each model's `pricing` as OpenRouter writes it (see `listedPrice`). */
export async function listModels(client: UpstreamHttpClient, headers: Record<string, string>, signal: AbortSignal, listedPrices = false): Promise<ProviderModel[]> {
  const exchange = await client.send({ method: 'GET', path: '/models', headers: { ...headers, accept: 'application/json' }, signal });
  await client.expectOk(exchange);
  const body = (await client.readJson(exchange)) as { data?: unknown } | unknown[];
  // Together answers with the list itself, not OpenAI's `{ object: 'list', data }`.
  const models = Array.isArray(body) ? body : body.data;
  if (!Array.isArray(models)) {
    throw new GatewayError('upstream', `${client.provider}: the model list has no data array`, { provider: client.provider, code: 'upstream_invalid_response' });
  }
  return models
    .filter((m): m is { id: string; created?: unknown; owned_by?: unknown; pricing?: unknown } => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string')
    .map((m) => {
      const price = listedPrices ? listedPrice(m.pricing) : undefined;
      return {
        id: m.id,
        ...(typeof m.created === 'number' ? { created: m.created } : {}),
        ...(typeof m.owned_by === 'string' ? { ownedBy: m.owned_by } : {}),
        ...(price ? { price } : {}),
      };
    });
}

/**
 * OpenRouter's `pricing` of a listed model: USD per token as decimal strings (`"prompt":
 * "0.000003"`, `"completion"`, `"input_cache_read"`, `"input_cache_write"`;
 * openrouter.ai/docs/api-reference/list-available-models), in USD per million tokens. None where
 * the prompt or completion price is missing or negative (`"-1"`: a router such as
 * `openrouter/auto`, whose price is the model it picks). A cache price of 0 beside a paid prompt
 * is taken as unlisted, so cached tokens are billed at the prompt price rather than free.
 */
export function listedPrice(pricing: unknown): ListedPrice | undefined {
  if (typeof pricing !== 'object' || pricing === null) return undefined;
  const fields = pricing as Record<string, unknown>;
  const input = perMillion(fields.prompt);
  const output = perMillion(fields.completion);
  if (input === undefined || output === undefined) return undefined;
  const cachedInput = perMillion(fields.input_cache_read);
  const cacheWrite = perMillion(fields.input_cache_write);
  return {
    input,
    output,
    ...(cachedInput ? { cachedInput } : {}),
    ...(cacheWrite ? { cacheWrite } : {}),
  };
}

function perMillion(perToken: unknown): number | undefined {
  const value = typeof perToken === 'string' && perToken.trim() !== '' ? Number(perToken) : typeof perToken === 'number' ? perToken : Number.NaN;
  // Rounded to a millionth of a dollar a million tokens: "0.000003" is 3, not 3.0000000000000004.
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 1e12) / 1e6 : undefined;
}
