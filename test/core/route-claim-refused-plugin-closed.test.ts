/**
 * A route claimed twice is refused at start (core/route-claims.ts) by throwing from `host.route`,
 * in the middle of the second plugin's setup. That plugin's hooks (its `close`) are never returned,
 * and plugin-setup.ts only closes the plugins set up before it: whatever the refused plugin had
 * started before registering its routes keeps running. The cache plugin starts its log sync
 * (an interval polling the store) before `addCacheRoutes`; the usage logger opens its SQLite log
 * before `addUsageRoutes`. A config reload that is refused this way leaks them in the running
 * process, once per try.
 * Before its fix that is what happened; now a refused claim is reported once the plugin's setup is
 * over, and the plugin is closed with the ones before it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cache, createGateway, definePlugin } from '../../index.js';
import { silentLogger } from '../../core/logger.js';
import { CacheEntries } from '../../plugins/cache/entries.js';

afterEach(() => vi.restoreAllMocks());

describe('a route claimed twice refuses the start', () => {
  it('and what the refused plugin started is let go', async () => {
    const start = vi.spyOn(CacheEntries.prototype, 'start');
    const stop = vi.spyOn(CacheEntries.prototype, 'stop');
    const statsPage = definePlugin({
      name: 'test:own-cache-stats',
      setup: (host) => host.route({ method: 'GET', path: '/v1/cache/stats', handler: (http) => void (http.body = {}) }),
    });
    await expect(
      createGateway({ store: 'memory', providers: { demo: { type: 'demo' } }, plugins: [statsPage(), cache()] }, { logger: silentLogger }),
    ).rejects.toThrow(/served already/);
    expect(start).toHaveBeenCalledTimes(1); // the cache's log sync was started (an interval on the store)…
    expect(stop).toHaveBeenCalledTimes(1); // …and never stopped: fails (0 calls)
  });
});
