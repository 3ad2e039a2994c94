/**
 * The live-config audit's newest entries are read a hundred at a time. Before: every entry asked
 * for at once (up to a thousand, `GET /admin/config/audit?limit=1000`), on the connection requests
 * share.
 */
import { afterEach, expect, it } from 'vitest';
import { appendAudit, readAudit } from '../../../core/live/audit.js';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';

let store: Store;
afterEach(() => store?.close());

it('reads the entries a batch at a time, newest first', async () => {
  store = await openStore('memory', silentLogger);
  for (let i = 0; i < 250; i++) await appendAudit(store, { actor: 'test', action: 'set', kind: 'provider', name: `p${i}`, before: null, after: { type: 'demo' } });
  const kvOf = store.kv.bind(store);
  let reading = 0;
  let most = 0;
  store.kv = ((namespace: string) => {
    const kv = kvOf<Record<string, unknown>>(namespace);
    return {
      ...kv,
      get: async (key: string) => {
        most = Math.max(most, ++reading);
        await new Promise((r) => setTimeout(r, 1));
        try {
          return await kv.get(key);
        } finally {
          reading--;
        }
      },
    };
  }) as Store['kv'];
  const entries = await readAudit(store, 250);
  expect(entries.map((e) => e.name)).toEqual(Array.from({ length: 250 }, (_, i) => `p${249 - i}`));
  // Before: 250 at once.
  expect(most).toBeLessThanOrEqual(100);
});
