/**
 * Finds a model's price: the shipped table (./prices.ts) under the operator's overrides.
 *
 * Matching: the model id is lower-cased and loses any `provider/` prefix (`openai/gpt-4o`,
 * Gemini's `models/...`, Groq's `openai/gpt-oss-120b`), then a key matches when it equals the id
 * or the id is the key plus version tags: dates (`-2024-08-06`, `-20250929`, `-0613`, `-09-2025`,
 * `@20250929`), `-latest`, `-preview`, `-exp`, `-v1:0`. Of the keys that match, the longest wins.
 * Only version tags are tolerated, not any suffix: `gpt-5.4-pro` or `o3-mini` must not be priced
 * as `gpt-5.4` or `o3`; an unlisted variant is unknown (undefined) rather than mispriced.
 *
 * Precedence, most specific first: an override for `provider/model`, an override for the bare
 * model, a shipped `provider/model` row, a shipped bare row. Overrides are partial and merge onto
 * what they override, so `{ 'gpt-4o': { cachedInput: 1 } }` changes one rate and keeps the rest
 * (`tiers`, when given, replace the tiers whole). A model none of them prices has the price its host
 * lists, where it lists one (`listed`: listed-prices.ts).
 */
import type { ListedPrices } from './listed-prices.js';
import { MODEL_PRICES, type ModelPrice } from './prices.js';

export interface PriceBook {
  /** The price of `model` served by `provider` (the gateway's provider id), or undefined when unknown. */
  lookup(provider: string, model: string): ModelPrice | undefined;
}

const VERSION_TAGS = /^(?:-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{4}|\d{2}-\d{2}|\d{4}|latest|preview|exp)|-v\d+(?:[.:]\d+)*|@\d{8})+$/;
const RATE_FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite', 'cacheWrite1h', 'reasoning', 'webSearchPer1k'] as const;

export function createPriceBook(overrides: Record<string, Partial<ModelPrice>> = {}, listed?: ListedPrices): PriceBook {
  const shipped = new Map(Object.entries(MODEL_PRICES).map(([key, price]) => [normalizeKey(key), price]));
  const overriding = new Map(Object.entries(overrides).map(([key, price]) => [normalizeKey(key), checked(key, price)]));
  for (const [key, price] of overriding) {
    if (!isComplete(price) && !(findPrice(shipped, key) ?? findPrice(shipped, bareModel(key)))) {
      throw new TypeError(`price override "${key}": no shipped price to complete it, so it needs both input and output`);
    }
  }
  // Every observer of a finished request asks (usage log, metrics, traces, access log, budgets),
  // and a lookup scans the whole table: remember answers, bounded since model names come from clients.
  // An unknown model is remembered as null, so that one `get` answers. By provider, then model,
  // rather than by a key made of both: a new string is hashed by every lookup, where a target's
  // own strings, the same from one request to the next, keep their hash (deploymentOf).
  const known = new Map<string, Map<string, ModelPrice | null>>();
  let remembered = 0;
  let listedVersion = listed?.version;
  const lookup = (provider: string, model: string): ModelPrice | undefined => {
    // A new listing may price a model remembered as unknown.
    if (listed !== undefined && listed.version !== listedVersion) {
      listedVersion = listed.version;
      known.clear();
      remembered = 0;
    }
    let models = known.get(provider);
    const price = models?.get(model);
    if (price !== undefined) return price ?? undefined;
    if (remembered >= MEMO_LIMIT) {
      known.clear();
      remembered = 0;
      models = undefined;
    }
    if (models === undefined) known.set(provider, (models = new Map()));
    const found = find(provider, model);
    models.set(model, found ?? null);
    remembered++;
    return found;
  };
  return { lookup };

  function find(provider: string, model: string): ModelPrice | undefined {
    const id = bareModel(model);
    const qualified = `${provider.trim().toLowerCase()}/${id}`;
    const base = findPrice(shipped, qualified) ?? findPrice(shipped, id);
    const merged = [findPrice(overriding, id), findPrice(overriding, qualified)].reduce<Partial<ModelPrice> | undefined>(
      (price, override) => (override ? { ...price, ...override } : price),
      base,
    );
    return merged && isComplete(merged) ? merged : listed?.lookup(provider, model);
  }
}

/** Most deployments a price book remembers before it starts over. */
const MEMO_LIMIT = 1000;

/** A key is either `model` or `provider/model`; only the model part is normalized like an incoming id. */
function normalizeKey(key: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return bareModel(key);
  return `${key.slice(0, slash).trim().toLowerCase()}/${bareModel(key.slice(slash + 1))}`;
}

function bareModel(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1).trim().toLowerCase();
}

/**
 * The entry whose key is the longest that `id` equals or extends with version tags. A
 * `provider/model` id is compared with `provider/model` keys only, a bare id with bare keys only.
 */
function findPrice<T>(table: ReadonlyMap<string, T>, id: string): T | undefined {
  const qualified = id.includes('/');
  let best: string | undefined;
  for (const key of table.keys()) {
    if (key.includes('/') !== qualified || !id.startsWith(key) || (best !== undefined && key.length <= best.length)) continue;
    const rest = id.slice(key.length);
    if (rest === '' || VERSION_TAGS.test(rest)) best = key;
  }
  return best === undefined ? undefined : table.get(best);
}

function isComplete(price: Partial<ModelPrice>): price is ModelPrice {
  return price.input !== undefined && price.output !== undefined;
}

/** Overrides come from config: refuse a rate that would silently produce a nonsense cost. */
function checked(key: string, price: Partial<ModelPrice>): Partial<ModelPrice> {
  const tiers = price.tiers ?? [];
  for (const rates of [price, ...tiers]) {
    for (const field of RATE_FIELDS) {
      const value = rates[field];
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new TypeError(`price override "${key}": ${field} must be a finite number >= 0 (found ${String(value)})`);
      }
    }
  }
  for (const tier of tiers) {
    if (!(Number.isInteger(tier.aboveInputTokens) && tier.aboveInputTokens >= 0)) {
      throw new TypeError(`price override "${key}": aboveInputTokens must be a whole number >= 0 (found ${String(tier.aboveInputTokens)})`);
    }
  }
  return price;
}
