/**
 * Providers and virtual models added live and removed again leave nothing behind: no override in
 * the store, no `removed` line in GET /admin/config; a file entry removed live still is (hidden by
 * its marker until reverted).
 *
 * Before its fix: DELETE /admin/config/{providers,models}/:name stored a `null` marker ("hide the
 * file's entry") even for a name the config file does not have. Each add/remove cycle left one for
 * good: the overrides record grew by two entries per customer, every later change cloned and rewrote
 * all of them, GET /admin/config listed each as origin `removed`, and a provider of that name put
 * in the config file later stayed hidden by the marker.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-removed-live-entries-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const CYCLES = 50;

let upstream: MockUpstream;
const running: RunningGateway[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream({ record: false });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.close()));
});
afterAll(() => upstream?.close());

const provider = () => ({ type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false });

async function start(store: string, providers: Record<string, unknown> = {}): Promise<RunningGateway> {
  const gw = await startGateway({ store, server: { adminKey: ADMIN }, providers: { base: provider(), ...providers }, models: { fast: { targets: ['base/mock-small'] } }, plugins: [dashboard()] });
  running.push(gw);
  return gw;
}

async function admin(gw: RunningGateway, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json()) as { providers: Array<{ name: string; origin: string }>; models: Array<{ name: string; origin: string }> };
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function stop(gw: RunningGateway): Promise<void> {
  running.splice(running.indexOf(gw), 1);
  await gw.close();
}

const origins = (entries: Array<{ name: string; origin: string }>) => entries.map((e) => `${e.name}:${e.origin}`);
const sqliteStore = () => `sqlite://${join(mkdtempSync(join(tmpdir(), 'removed-live-')), 'state.sqlite')}`;

describe('entries added live and removed again', () => {
  it(`keeps no override, lists nothing, after ${CYCLES} customers were added and removed; a file entry of such a name added later is in force`, async () => {
    const store = sqliteStore();
    const gw = await start(store);
    for (let i = 0; i < CYCLES; i++) {
      await admin(gw, 'PUT', `/admin/config/providers/c${i}`, provider());
      await admin(gw, 'PUT', `/admin/config/models/m${i}`, { targets: [`c${i}/mock-small`] });
      await admin(gw, 'DELETE', `/admin/config/models/m${i}`);
      await admin(gw, 'DELETE', `/admin/config/providers/c${i}`);
    }
    const config = await admin(gw, 'GET', '/admin/config');
    expect(origins(config.providers)).toEqual(['base:file']);
    expect(origins(config.models)).toEqual(['fast:file']);
    expect(gw.gateway.live.overrides()).toEqual({ providers: {}, models: {} });
    expect(await gw.gateway.store.kv('live-config').get('overrides')).toEqual({ providers: {}, models: {} });
    // Removed as a live addition, not as a file entry: c0 in the config file later is served.
    await stop(gw);
    const later = await start(store, { c0: provider() });
    expect(origins((await admin(later, 'GET', '/admin/config')).providers)).toEqual(['base:file', 'c0:file']);
    const chat = await fetch(`${later.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'c0/mock-small', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(chat.status).toBe(200);
  });

  it('still hides a file entry removed live, until it is reverted', async () => {
    const gw = await start('memory');
    expect(origins((await admin(gw, 'DELETE', '/admin/config/models/fast')).models)).toEqual(['fast:removed']);
    expect(gw.gateway.live.overrides().models).toEqual({ fast: null });
    expect(origins((await admin(gw, 'POST', '/admin/config/models/fast/revert')).models)).toEqual(['fast:file']);
  });

  it('does not list the markers an earlier build left for names the file lacks, and keeps them stored', async () => {
    const store = sqliteStore();
    const first = await start(store, { spare: provider() });
    await first.gateway.store.kv('live-config').set('overrides', { providers: { gone: null, spare: null }, models: { old: null } });
    await stop(first);
    const gw = await start(store, { spare: provider() });
    const config = await admin(gw, 'GET', '/admin/config');
    expect(origins(config.providers)).toEqual(['base:file', 'spare:removed']);
    expect(origins(config.models)).toEqual(['fast:file']);
    // The next change keeps them stored: another replica's config file may have those entries
    // (a rolling deploy), and a marker dropped here would bring them back there.
    await admin(gw, 'PUT', '/admin/config/providers/other', provider());
    expect(await gw.gateway.store.kv('live-config').get('overrides')).toEqual({ providers: { gone: null, spare: null, other: provider() }, models: { old: null } });
  });
});
