/**
 * What the cache did, on the store's counters (shared by replicas): hits, semantic hits, misses,
 * skips and refreshes, tokens and micro-dollars saved, store and embeddings failures; for the whole
 * gateway and per gateway key, each also per model. Entries and bytes come from the entries every
 * replica knows (see entries.ts).
 */
import type { Counters } from 'llm-gateway/store';
import type { EntryMeta } from './entries.js';

export type CacheOutcome = 'hit' | 'semantic-hit' | 'miss' | 'skip' | 'refresh';

const FIELDS = ['hits', 'semanticHits', 'misses', 'skips', 'refreshes', 'tokensSaved', 'microsSaved'] as const;
type Field = (typeof FIELDS)[number];
const FIELD_OF: Record<CacheOutcome, Field> = { hit: 'hits', 'semantic-hit': 'semanticHits', miss: 'misses', skip: 'skips', refresh: 'refreshes' };

export interface ModelStats {
  entries: number;
  bytes: number;
  hits: number;
  semanticHits: number;
  misses: number;
  hitRate: number;
  tokensSaved: number;
  usdSaved: number;
}

export interface CacheStats extends ModelStats {
  object: 'cache.stats';
  /** `all`, or the gateway key the view is limited to. */
  view: string;
  skips: number;
  refreshes: number;
  failures: { store: number; embeddings: number };
  models: Record<string, ModelStats>;
}

/** Models seen per view, so the per-model breakdown can be listed; bounded. */
const MAX_MODELS = 200;

/**
 * A gateway key's own counts expire 30 days after its last cached request: keys are made and
 * revoked by the thousand (one per user or session), and each left its counts in the store for
 * good. The whole gateway's counts stay.
 */
const KEY_VIEW = { ttlMs: 30 * 86_400_000, options: { renewTtl: true } } as const;

export class CacheCounters {
  private readonly models = new Set<string>();

  constructor(private readonly counters: Counters) {}

  count(outcome: CacheOutcome, model: string | undefined, keyId: string | null, saved?: { tokens: number; micros: number }): Promise<unknown> {
    const adds: Array<[Field, number]> = [[FIELD_OF[outcome], 1]];
    if (saved) adds.push(['tokensSaved', saved.tokens], ['microsSaved', saved.micros]);
    if (model && this.models.size < MAX_MODELS) this.models.add(model);
    const views = keyId ? ['all', `key:${keyId}`] : ['all'];
    const names = views.flatMap((view) => [view, ...(model && this.models.has(model) ? [`${view}:model:${model}`] : [])]);
    const add = (name: string, field: Field, by: number) =>
      name.startsWith('key:') ? this.counters.add(`cache:stats:${name}:${field}`, by, KEY_VIEW.ttlMs, KEY_VIEW.options) : this.counters.add(`cache:stats:${name}:${field}`, by);
    return Promise.all(names.flatMap((name) => adds.filter(([, by]) => by !== 0).map(([field, by]) => add(name, field, by))));
  }

  failed(kind: 'store' | 'embeddings'): Promise<unknown> {
    return this.counters.add(`cache:stats:failures:${kind}`, 1);
  }

  /** The stats of one view: `all`, or one gateway key's (its own requests and the entries it caused). */
  async read(keyId: string | undefined, entries: Iterable<EntryMeta>): Promise<CacheStats> {
    const view = keyId ? `key:${keyId}` : 'all';
    const mine = [...entries].filter((meta) => !keyId || meta.owner === keyId);
    // One pass: filtering every entry once a model took 170 ms for 50,000 entries of 200 models.
    const byModel = new Map<string, EntryMeta[]>([...this.models].map((model) => [model, []]));
    for (const meta of mine) {
      const list = byModel.get(meta.model);
      if (list) list.push(meta);
      else byModel.set(meta.model, [meta]);
    }
    const [total, failures, perModel] = await Promise.all([
      this.fields(view, mine),
      Promise.all([this.counters.get('cache:stats:failures:store'), this.counters.get('cache:stats:failures:embeddings')]),
      Promise.all([...byModel].map(async ([model, metas]) => [model, await this.fields(`${view}:model:${model}`, metas)] as const)),
    ]);
    return {
      object: 'cache.stats',
      view: keyId ? `key:${keyId}` : 'all',
      ...total,
      failures: { store: failures[0], embeddings: failures[1] },
      models: Object.fromEntries(perModel.filter(([, stats]) => stats.entries + stats.hits + stats.semanticHits + stats.misses > 0)),
    };
  }

  private async fields(name: string, entries: EntryMeta[]): Promise<ModelStats & { skips: number; refreshes: number }> {
    const values = await Promise.all(FIELDS.map((field) => this.counters.get(`cache:stats:${name}:${field}`)));
    const [hits, semanticHits, misses, skips, refreshes, tokensSaved, microsSaved] = values as [number, number, number, number, number, number, number];
    const lookups = hits + semanticHits + misses;
    return {
      entries: entries.length,
      bytes: entries.reduce((sum, meta) => sum + meta.bytes, 0),
      hits,
      semanticHits,
      misses,
      skips,
      refreshes,
      hitRate: lookups === 0 ? 0 : Math.round(((hits + semanticHits) / lookups) * 10_000) / 10_000,
      tokensSaved,
      usdSaved: microsSaved / 1e6,
    };
  }
}
