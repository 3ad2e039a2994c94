/**
 * `/admin/config`, the scriptable side of the dashboard's live configuration: the effective config
 * with origins and masked secrets; a provider's typed-in key sealed in the encrypted secret store
 * (refused without LLM_GATEWAY_SECRETS_KEY); patch, remove, revert; invalid changes refused with
 * the reason, changing nothing; the audit trail; and two replicas on Redis following each other.
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dashboard, routing } from '../../../index.js';
import type { RunningGateway } from '../../support/gateway.js';
import { startLiveConfigGateways, type LiveConfigGateways } from '../../support/live-config.js';
import { ownRedisDatabase } from '../../support/redis-databases.js';

const ADMIN_KEY = 'admin-key-of-the-config-api-tests';
let fixture: LiveConfigGateways;

beforeAll(async () => {
  fixture = await startLiveConfigGateways(() => ({ plugins: [routing(), dashboard({ adminKey: ADMIN_KEY })] }));
});
afterAll(() => fixture?.close());
afterEach(async () => {
  await fixture.reset();
  delete process.env.LLM_GATEWAY_SECRETS_KEY;
});

const call = async (gw: RunningGateway, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

const servedBy = async (gw: RunningGateway, model: string) =>
  (await new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse()).response.headers.get('x-gateway-provider');

describe('/admin/config', () => {
  it('adds a provider whose key is sealed in the encrypted store, shown by its last four characters only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-config-'));
    const store = `sqlite://${join(dir, 'state.sqlite')}`;
    const gw = await fixture.start({ store });
    const b = { type: 'openai-compatible', baseURL: fixture.second.baseURL, apiKey: 'sk-typed-secret-4321', listModels: false };
    const refused = await call(gw, 'PUT', '/admin/config/providers/b', b);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('secrets_key_missing');
    await fixture.closeGateways();

    process.env.LLM_GATEWAY_SECRETS_KEY = 'secrets key of the config api tests';
    const again = await fixture.start({ store });
    const put = await call(again, 'PUT', '/admin/config/providers/b', b);
    expect(put.status).toBe(200);
    expect(put.body.providers).toContainEqual({ name: 'b', origin: 'override', value: expect.objectContaining({ apiKey: 'stored secret "provider:b:apiKey" …4321' }) });
    expect(await servedBy(again, 'b/mock-small')).toBe('b');
    expect(fixture.second.requests.find((r) => r.path === '/v1/chat/completions')?.headers.authorization).toBe('Bearer sk-typed-secret-4321');
    expect(JSON.stringify(again.gateway.live.overrides())).not.toContain('sk-typed-secret');
    expect(readFileSync(join(dir, 'state.sqlite')).toString('latin1')).not.toContain('sk-typed-secret');
  });

  it('patches, removes and reverts entries, refuses invalid changes with the reason, and keeps the audit trail', async () => {
    const gw = await fixture.start({
      providers: { a: { type: 'openai-compatible', baseURL: fixture.first.baseURL, listModels: false }, b: { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false } },
      models: { fast: { targets: ['a/mock-small', 'b/mock-small'] } },
    });
    expect(await servedBy(gw, 'fast')).toBe('a');
    const patched = await call(gw, 'PATCH', '/admin/config/providers/a', { enabled: false, limits: { rpm: 10 } });
    expect(patched.status).toBe(200);
    expect(patched.body.providers.find((p: { name: string }) => p.name === 'a')).toMatchObject({ origin: 'override', value: { enabled: false, limits: { rpm: 10 } }, file: { baseURL: fixture.first.baseURL } });
    expect(await servedBy(gw, 'fast')).toBe('b');

    const invalid = await call(gw, 'PUT', '/admin/config/models/fast', { targets: ['ghost/x'] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/nothing changed.*names provider "ghost"/);
    const badStrategy = await call(gw, 'PATCH', '/admin/config/models/fast', { strategy: 'fastest' });
    expect(badStrategy.status).toBe(400);
    expect(badStrategy.body.error.message).toContain('strategy must be one of');
    expect((await call(gw, 'PUT', '/admin/config/models/bad name', { targets: ['a/x'] })).status).toBe(400);

    // Disabling its last enabled target would leave the model with none: refused.
    const last = await call(gw, 'PATCH', '/admin/config/providers/b', { enabled: false });
    expect(last.status).toBe(400);
    expect(last.body.error.message).toContain('config/models/fast has no target left');

    expect((await call(gw, 'POST', '/admin/config/providers/a/revert')).status).toBe(200);
    expect(await servedBy(gw, 'fast')).toBe('a');
    expect((await call(gw, 'POST', '/admin/config/providers/a/revert')).status).toBe(400);

    expect((await call(gw, 'DELETE', '/admin/config/models/fast')).body.models).toEqual([expect.objectContaining({ name: 'fast', origin: 'removed' })]);
    const audit = await call(gw, 'GET', '/admin/config/audit?limit=10');
    expect(audit.body.data.map((e: { action: string; kind: string; name: string; actor: string }) => `${e.actor}: ${e.action} ${e.kind} ${e.name}`)).toEqual([
      'admin key: remove model fast',
      'admin key: revert provider a',
      'admin key: set provider a',
    ]);
  });
});

describe('a provider whose key the file holds in clear', () => {
  it('is switched off without LLM_GATEWAY_SECRETS_KEY (the override keeps no key), and back on with the file\'s key', async () => {
    const gw = await fixture.start({ providers: { a: { type: 'openai-compatible', baseURL: fixture.first.baseURL, apiKey: 'sk-file-secret-0000', listModels: false }, b: { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false } }, models: { fast: { targets: ['a/mock-small', 'b/mock-small'] } } });
    expect((await call(gw, 'PATCH', '/admin/config/providers/a', { limits: { rpm: 5 } })).body.error.code).toBe('secrets_key_missing');
    expect((await call(gw, 'PATCH', '/admin/config/providers/a', { enabled: false })).status).toBe(200);
    expect(JSON.stringify(gw.gateway.live.overrides())).not.toContain('sk-file-secret');
    expect(await servedBy(gw, 'fast')).toBe('b');
    // Switched back on, it is the file's entry again: the override goes, the key comes back from the file.
    expect((await call(gw, 'PATCH', '/admin/config/providers/a', { enabled: true })).body.providers[0]).toMatchObject({ name: 'a', origin: 'file' });
    expect(await servedBy(gw, 'fast')).toBe('a');
    expect(fixture.first.requests.at(-1)?.headers.authorization).toBe('Bearer sk-file-secret-0000');
  });
});

const REDIS_URL = process.env.REDIS_URL;
/** A database of its own, so live overrides other test files set on Redis at the same time never reach these gateways. */
const redisDatabase = (url: string) => ownRedisDatabase(url, 'dashboardConfigApi');

describe.skipIf(!REDIS_URL)('/admin/config on two replicas sharing Redis', () => {
  /** Two replicas of one config on this Redis database, with no overrides (another run may have left some). */
  async function twoReplicas(): Promise<[RunningGateway, RunningGateway]> {
    const config = {
      store: redisDatabase(REDIS_URL!),
      providers: { a: { type: 'openai-compatible', baseURL: fixture.first.baseURL, listModels: false }, b: { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false } },
      models: { fast: { targets: ['a/mock-small', 'b/mock-small'] } },
    };
    const one = await fixture.start(config);
    const two = await fixture.start(config);
    for (const kind of ['providers', 'models'] as const) {
      for (const entry of one.gateway.live.effective()[kind]) if (entry.origin !== 'file') await call(one, 'POST', `/admin/config/${kind}/${entry.name}/revert`);
    }
    return [one, two];
  }

  it('a provider disabled on one replica sends the other replica\'s next requests to the fallback', async () => {
    const [one, two] = await twoReplicas();
    await expect.poll(() => servedBy(two, 'fast'), { timeout: 10_000, interval: 250 }).toBe('a');

    expect((await call(one, 'PATCH', '/admin/config/providers/a', { enabled: false })).status).toBe(200);
    await expect.poll(() => servedBy(two, 'fast'), { timeout: 10_000, interval: 250 }).toBe('b');
    expect((await call(two, 'GET', '/admin/config')).body.providers.find((p: { name: string }) => p.name === 'a').origin).toBe('override');

    expect((await call(two, 'POST', '/admin/config/providers/a/revert')).status).toBe(200);
    await expect.poll(() => servedBy(one, 'fast'), { timeout: 10_000, interval: 250 }).toBe('a');
  });

  it('changes made a moment apart on each replica both hold: neither is written back over by the other', async () => {
    const [one, two] = await twoReplicas();
    await expect.poll(() => two.gateway.live.effective().providers.every((p) => p.origin === 'file'), { timeout: 10_000, interval: 100 }).toBe(true);
    // One click on each replica, well within a poll (2 s): the second starts from what the first stored.
    expect((await call(one, 'PATCH', '/admin/config/providers/a', { enabled: false })).status).toBe(200);
    expect((await call(two, 'PUT', '/admin/config/models/slow', { targets: ['b/mock-small'] })).status).toBe(200);
    for (const replica of [one, two]) {
      await expect
        .poll(() => {
          const { providers, models } = replica.gateway.live.effective();
          return [providers.find((p) => p.name === 'a')?.origin, models.find((m) => m.name === 'slow')?.origin];
        }, { timeout: 10_000, interval: 250 })
        .toEqual(['override', 'override']);
    }
    await call(one, 'POST', '/admin/config/providers/a/revert');
    await call(one, 'POST', '/admin/config/models/slow/revert');
  });
});
