/**
 * A provider key typed into `/admin/config` (sealed as `provider:<name>:<option>`) goes with the
 * entry that named it: when the provider is removed or reverted, when a change drops that option,
 * and when the change that stored it is refused. Never one the config file's entry still names,
 * and never before the change is saved: a change the store did not take keeps working keys.
 *
 * Before its fix: the secret store had no delete, and nothing removed a provider's secrets. With
 * one provider per customer, every removed customer's API key stayed in the store (encrypted) for
 * ever: `live.secrets.get('provider:customer:apiKey')` still returned it after DELETE.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dashboard } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-removed-provider-secrets-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let upstream: MockUpstream;
let savedKey: string | undefined;
const running: RunningGateway[] = [];

beforeAll(async () => {
  savedKey = process.env.LLM_GATEWAY_SECRETS_KEY;
  process.env.LLM_GATEWAY_SECRETS_KEY = 'a-long-random-string-for-the-removed-provider-secrets-tests';
  upstream = await startMockUpstream();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.close()));
  upstream.reset();
});
afterAll(async () => {
  await upstream?.close();
  if (savedKey === undefined) delete process.env.LLM_GATEWAY_SECRETS_KEY;
  else process.env.LLM_GATEWAY_SECRETS_KEY = savedKey;
});

async function start(providers: Record<string, unknown> = {}, store = 'memory'): Promise<RunningGateway> {
  const gw = await startGateway({ store, server: { adminKey: ADMIN }, providers: { base: entry(), ...providers }, plugins: [dashboard()] });
  running.push(gw);
  return gw;
}

const entry = (options: Record<string, unknown> = {}) => ({ type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false, ...options });

async function admin(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${gw.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  await res.arrayBuffer();
  return res.status;
}

async function chat(gw: RunningGateway, model: string): Promise<number> {
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  await res.arrayBuffer();
  return res.status;
}

describe('the stored secrets of a provider changed through /admin/config', () => {
  it('forgets the API key of a provider removed, or reverted, through the admin API', async () => {
    const gw = await start();
    expect(await admin(gw, 'PUT', '/admin/config/providers/customer', entry({ apiKey: 'sk-customer-secret-1234' }))).toBe(200);
    expect(await chat(gw, 'customer/mock-small')).toBe(200);
    expect(await admin(gw, 'DELETE', '/admin/config/providers/customer')).toBe(200);
    expect(await gw.gateway.live.secrets.get('provider:customer:apiKey')).toBeUndefined();

    expect(await admin(gw, 'PUT', '/admin/config/providers/other', entry({ apiKey: 'sk-other-secret-5678' }))).toBe(200);
    expect(await admin(gw, 'POST', '/admin/config/providers/other/revert')).toBe(200);
    expect(await gw.gateway.live.secrets.get('provider:other:apiKey')).toBeUndefined();
  });

  it('forgets a key the change drops, keeps one it replaces in place, and the ones other entries name', async () => {
    const gw = await start();
    await gw.gateway.live.secrets.set('shared-key', 'sk-operator-stored-0000');
    await gw.gateway.live.set('provider', 'named', entry({ apiKey: { secret: 'shared-key' } }) as never, 'test');
    expect(await admin(gw, 'PUT', '/admin/config/providers/p', entry({ apiKey: 'sk-first-1111', headers: { Authorization: 'Bearer sk-header-2222' } }))).toBe(200);
    expect(await admin(gw, 'PUT', '/admin/config/providers/p', entry({ apiKey: 'sk-second-3333', headers: { Authorization: 'Bearer sk-header-2222' } }))).toBe(200);
    expect(await gw.gateway.live.secrets.get('provider:p:apiKey')).toBe('sk-second-3333');
    expect(await admin(gw, 'PATCH', '/admin/config/providers/p', { headers: null })).toBe(200);
    expect(await gw.gateway.live.secrets.get('provider:p:headers.Authorization')).toBeUndefined();
    expect(await gw.gateway.live.secrets.get('provider:p:apiKey')).toBe('sk-second-3333');
    expect(await chat(gw, 'p/mock-small')).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-second-3333');
    // An operator's secret is theirs to delete, whichever live entry named it.
    expect(await admin(gw, 'DELETE', '/admin/config/providers/named')).toBe(200);
    expect(await gw.gateway.live.secrets.get('shared-key')).toBe('sk-operator-stored-0000');
  });

  it('forgets the key a refused change stored, and keeps the one the config file names', async () => {
    const store = `sqlite://${join(mkdtempSync(join(tmpdir(), 'removed-provider-secrets-')), 'state.sqlite')}`;
    const first = await start({}, store);
    await first.gateway.live.secrets.set('provider:filed:apiKey', 'sk-filed-secret-4444');
    running.splice(0);
    await first.close();
    const gw = await start({ filed: entry({ apiKey: { secret: 'provider:filed:apiKey' } }) }, store);
    expect(await admin(gw, 'PUT', '/admin/config/providers/bad', entry({ baseURL: 'not a url', apiKey: 'sk-refused-5555' }))).toBe(400);
    expect(await gw.gateway.live.secrets.get('provider:bad:apiKey')).toBeUndefined();
    expect(await admin(gw, 'DELETE', '/admin/config/providers/filed')).toBe(200);
    expect(await gw.gateway.live.secrets.get('provider:filed:apiKey')).toBe('sk-filed-secret-4444');
    expect(await admin(gw, 'POST', '/admin/config/providers/filed/revert')).toBe(200);
    expect(await chat(gw, 'filed/mock-small')).toBe(200);
  });

  it('keeps the key of a provider whose removal the store did not save', async () => {
    const gw = await start();
    expect(await admin(gw, 'PUT', '/admin/config/providers/customer', entry({ apiKey: 'sk-customer-secret-6666' }))).toBe(200);
    const kv = (gw.gateway.live as unknown as { kv: { set(...args: unknown[]): Promise<void> } }).kv;
    vi.spyOn(kv, 'set').mockRejectedValueOnce(new Error('the store is down'));
    expect(await admin(gw, 'DELETE', '/admin/config/providers/customer')).toBe(500);
    expect(await gw.gateway.live.secrets.get('provider:customer:apiKey')).toBe('sk-customer-secret-6666');
    expect(await chat(gw, 'customer/mock-small')).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-customer-secret-6666');
  });
});
