/**
 * Live configuration through a running gateway: overrides of providers and virtual models apply
 * to the next request, are refused when invalid (nothing changes), are recorded in the audit trail
 * with secrets masked, survive a restart, and reach another replica sharing the store.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routing } from '../../../index.js';
import type { RunningGateway } from '../../support/gateway.js';
import { startLiveConfigGateways, type LiveConfigGateways } from '../../support/live-config.js';

let fixture: LiveConfigGateways;

beforeAll(async () => {
  fixture = await startLiveConfigGateways();
});
afterAll(() => fixture?.close());
afterEach(() => fixture.reset());

const ask = (gw: RunningGateway, model: string) =>
  new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();

describe('live configuration', () => {
  it('adds a provider and repoints a virtual model for the next request, and reverts them one by one', async () => {
    const gw = await fixture.start();
    await gw.gateway.live.set('provider', 'b', { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false }, 'test');
    await gw.gateway.live.set('model', 'fast', { targets: ['b/mock-small'] }, 'test');
    expect((await ask(gw, 'fast')).response.headers.get('x-gateway-provider')).toBe('b');
    expect(fixture.second.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);

    const effective = gw.gateway.live.effective();
    expect(effective.providers.map((p) => [p.name, p.origin])).toEqual([['a', 'file'], ['b', 'override']]);
    expect(effective.models.find((m) => m.name === 'fast')).toMatchObject({ origin: 'override', file: { targets: ['a/mock-small'] } });

    await gw.gateway.live.revert('model', 'fast', 'test');
    expect((await ask(gw, 'fast')).response.headers.get('x-gateway-provider')).toBe('a');
    // A provider a virtual model still names cannot go; with the model gone first, it can.
    await expect(gw.gateway.live.set('provider', 'a', null, 'test')).rejects.toThrow(/config\/models\/fast\/targets\/0 names provider "a"/);
    await gw.gateway.live.set('model', 'fast', null, 'test');
    await gw.gateway.live.set('provider', 'a', null, 'test');
    expect(gw.gateway.live.effective().providers.find((p) => p.name === 'a')?.origin).toBe('removed');
    expect((await ask(gw, 'a/mock-small').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.NotFoundError>).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses an invalid change, naming it, and changes nothing', async () => {
    const gw = await fixture.start({ plugins: [routing()] });
    await expect(gw.gateway.live.set('provider', 'b', { type: 'openai-compatible', baseURL: 'not a url' }, 'test')).rejects.toThrow(/config\/providers\/b\/baseURL must match/);
    await expect(gw.gateway.live.set('model', 'fast', { targets: ['ghost/x'] }, 'test')).rejects.toThrow(/names provider "ghost"/);
    await expect(gw.gateway.live.set('model', 'fast', { targets: ['a/mock-small'], strategy: 'fastest' }, 'test')).rejects.toThrow(/strategy must be one of/);
    expect(gw.gateway.live.overrides()).toEqual({ providers: {}, models: {} });
    expect((await ask(gw, 'fast')).response.headers.get('x-gateway-provider')).toBe('a');
    expect(await gw.gateway.live.audit()).toEqual([]);
  });

  it('records who changed what in the audit trail, with secrets masked', async () => {
    const gw = await fixture.start();
    await gw.gateway.live.set('provider', 'b', { type: 'openai-compatible', baseURL: fixture.second.baseURL, apiKey: 'sk-live-secret-1234', listModels: false }, 'admin@dashboard');
    await gw.gateway.live.revert('provider', 'b', 'admin@dashboard');
    const [revert, set] = await gw.gateway.live.audit();
    expect(set).toMatchObject({ actor: 'admin@dashboard', action: 'set', kind: 'provider', name: 'b', before: null, after: { apiKey: '…1234' } });
    expect(revert).toMatchObject({ action: 'revert', before: { apiKey: '…1234' }, after: null });
    expect(JSON.stringify(await gw.gateway.live.audit())).not.toContain('sk-live-secret');
  });

  it('keeps overrides across a restart, and stores secrets encrypted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-config-'));
    const store = `sqlite://${join(dir, 'state.sqlite')}`;
    process.env.LLM_GATEWAY_SECRETS_KEY = 'a long passphrase for the tests of live configuration';
    try {
      const before = await fixture.start({ store });
      await before.gateway.live.secrets.set('b-key', 'sk-stored-secret-5678');
      await before.gateway.live.set('provider', 'b', { type: 'openai-compatible', baseURL: fixture.second.baseURL, apiKey: { secret: 'b-key' }, listModels: false }, 'test');
      await fixture.closeGateways();
      expect(readFileSync(join(dir, 'state.sqlite')).toString('latin1')).not.toContain('sk-stored-secret-5678');

      const after = await fixture.start({ store });
      expect((await ask(after, 'b/mock-small')).response.headers.get('x-gateway-provider')).toBe('b');
      expect(fixture.second.requests.find((r) => r.path === '/v1/chat/completions')?.headers.authorization).toBe('Bearer sk-stored-secret-5678');
      expect(await after.gateway.live.secrets.hint('b-key')).toBe('5678');
    } finally {
      delete process.env.LLM_GATEWAY_SECRETS_KEY;
    }
  });

  it('refuses a secret reference it cannot read', async () => {
    const gw = await fixture.start();
    await expect(gw.gateway.live.secrets.set('x', 'y')).rejects.toThrow(/set LLM_GATEWAY_SECRETS_KEY/);
    await expect(gw.gateway.live.set('provider', 'b', { type: 'openai-compatible', baseURL: fixture.second.baseURL, apiKey: { secret: 'x' } }, 'test')).rejects.toThrow(/names the secret "x"/);
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)('live configuration on two replicas sharing Redis', () => {
  /** Two replicas on the suite's Redis, with no overrides left by another run. */
  async function twoReplicas(): Promise<[RunningGateway, RunningGateway]> {
    const one = await fixture.start({ store: REDIS_URL! });
    const two = await fixture.start({ store: REDIS_URL! });
    for (const entry of one.gateway.live.effective().providers) if (entry.origin !== 'file') await one.gateway.live.revert('provider', entry.name, 'test');
    for (const entry of one.gateway.live.effective().models) if (entry.origin !== 'file') await one.gateway.live.revert('model', entry.name, 'test');
    return [one, two];
  }

  it('a change made on one applies on the other within seconds', async () => {
    const [one, two] = await twoReplicas();

    await one.gateway.live.set('provider', 'b', { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false }, 'test');
    await expect.poll(async () => (await ask(two, 'b/mock-small').then((r) => r.response.headers.get('x-gateway-provider'), () => undefined)), { timeout: 10_000, interval: 250 }).toBe('b');
    await one.gateway.live.revert('provider', 'b', 'test');
    await expect.poll(() => two.gateway.live.effective().providers.map((p) => p.name), { timeout: 10_000, interval: 250 }).toEqual(['a']);
  });

  it('changes made on both at the same moment all land, changes of different providers included', async () => {
    const [one, two] = await twoReplicas();

    // The overrides are one record: without turns, each change would write back what it read, and
    // all but the last of these would be lost.
    const names = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const provider = { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false } as const;
    // This Redis keeps the audit trail of earlier runs: only what follows counts.
    const before = (await one.gateway.live.audit(1))[0]?.seq ?? 0;
    await Promise.all(names.map((name, i) => [one, two][i % 2]!.gateway.live.set('provider', name, provider, 'test')));
    for (const gw of [one, two]) {
      await expect.poll(() => gw.gateway.live.effective().providers.map((p) => p.name).sort(), { timeout: 10_000, interval: 250 }).toEqual(['a', ...names]);
    }
    expect((await one.gateway.live.audit()).filter((entry) => entry.seq > before).map((entry) => `${entry.action} ${entry.name}`).sort()).toEqual(names.map((name) => `set ${name}`));
    for (const name of names) await two.gateway.live.revert('provider', name, 'test');
  });
});
