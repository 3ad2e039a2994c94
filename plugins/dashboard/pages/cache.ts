/**
 * Cache (when a cache plugin offers `cache:admin`): its statistics, and clearing it whole or for
 * one model. The service token is defined here by name, with the little this page needs, so the
 * dashboard works whether or not a cache plugin is installed.
 */
import type { Context as KoaContext } from 'koa';
import { defineService } from 'llm-gateway/plugin';
import { readForm, textField, type PageKit } from '../kit.js';

/** What the Cache page needs of a cache plugin (`llm-gateway/plugins/cache` provides more). */
export interface CacheAdmin {
  stats(): Promise<Record<string, unknown>> | Record<string, unknown>;
  clear(filter?: { model?: string }): Promise<unknown> | unknown;
}

export const cacheAdmin = defineService<CacheAdmin>('cache:admin');

export function cachePages(kit: PageKit) {
  const { host } = kit;

  async function view(http: KoaContext, extra: Record<string, unknown> = {}) {
    const cache = host.tryResolve(cacheAdmin);
    const stats = cache ? await Promise.resolve(cache.stats()).catch((e: Error) => ({ error: e.message })) : undefined;
    await kit.page(http, 'cache', {
      title: 'Cache',
      active: 'cache',
      cache: cache !== undefined,
      stats: stats ? Object.entries(stats).map(([name, value]) => ({ name, value: typeof value === 'object' ? JSON.stringify(value) : String(value) })) : [],
      ...extra,
    });
  }

  return {
    view: (http: KoaContext) => view(http),
    async clear(http: KoaContext) {
      const form = await readForm(http);
      const cache = host.tryResolve(cacheAdmin);
      if (!cache) return view(http, { error: 'No cache plugin is configured.' });
      const model = textField(form, 'model');
      try {
        const cleared = await cache.clear(model ? { model } : {});
        await view(http, { notice: `Cache cleared${model ? ` for ${model}` : ''}${typeof cleared === 'number' ? ` (${cleared} entries)` : ''}.` });
      } catch (error) {
        await view(http, { error: (error as Error).message });
      }
    },
  };
}
