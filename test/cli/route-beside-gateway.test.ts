/**
 * `llm-gateway route` (docs/routing.md: "which targets would be tried, without calling anything")
 * opens the config's store with saveCounters left at its default, so beside a running gateway on
 * the same SQLite file it now waits 15 s for the owner lease and then fails with
 * "✗ config is invalid ... another gateway is using this SQLite store". `check` got
 * storeOptions: { saveCounters: false } in 961c41c; `route` did not.
 * Before its fix that is what happened; now `route` only reads the counters and answers at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { routeCommand } from '../../cli/route.js';
import { silentLogger } from '../../core/logger.js';
import { openStore } from '../../core/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'route-beside-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('llm-gateway route beside a running gateway on SQLite', () => {
  it('answers at once instead of waiting for the owner lease and failing', async () => {
    const file = join(dir, 'store.db');
    const running = await openStore(`sqlite://${file}`, silentLogger); // the gateway's store: holds the owner lease
    const configFile = join(dir, 'llm-gateway.config.json');
    writeFileSync(configFile, JSON.stringify({ store: `sqlite://${file}`, providers: { demo: { type: 'demo' } } }));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const started = Date.now();
    let code: number;
    let stderr = '';
    try {
      code = await routeCommand({ config: configFile, model: 'demo/x', headers: [], metadata: [], promptTokens: undefined, key: undefined, team: undefined });
    } finally {
      stderr = err.mock.calls.map((c) => String(c[0])).join('');
      err.mockRestore();
      out.mockRestore();
      await running.close();
    }
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 30_000);
});
