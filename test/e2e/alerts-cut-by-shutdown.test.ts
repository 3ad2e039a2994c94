/**
 * An alert cut by a shutdown (its webhook hung) is sent by the gateway started again on the same
 * SQLite file, at the next occasion.
 *
 * Before its fix (a review of alerts at scale): an alert cut or left queued at shutdown was told
 * to no one, so its claim outlived the process, and no replica, nor this one restarted, sent it in
 * that budget window (up to a month).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alerts, auth, definePlugin, pricing, type Pricing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream } from '../support/mock-upstream.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const ADMIN = 'alerts-shutdown-admin-key-0123456789';
const flatPricing = (micros: number) =>
  definePlugin({ name: 'test:flat-pricing', setup: (host) => host.provide(pricing, { costMicros: () => micros, estimateMicros: () => micros } satisfies Pricing) })();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const open: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((part) => part.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('alerts pending at shutdown (SQLite)', () => {
  it('a threshold alert cut by shutdown is sent after a restart on the same store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerts-shutdown-'));
    dirs.push(dir);
    const upstream = await startMockUpstream();
    const receiver = await startWebhookReceiver();
    open.push(upstream, receiver);
    const config = {
      store: `sqlite://${join(dir, 'gw.sqlite')}`,
      providers: { mock: mockProvider(upstream) },
      plugins: [flatPricing(1000), auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: receiver.url }], budgets: { thresholds: [0.1], refusals: false }, circuits: false, keys: false })],
    };
    const first = await startGateway(config);
    const key = (await (await fetch(`${first.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'restart', budget: { dailyUsd: 0.008 } }) })).json()) as { id: string; secret: string };
    const ask = (gw: RunningGateway) => fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }) });
    receiver.answer('hang');
    expect((await ask(first)).status).toBe(200);
    await receiver.waitFor(1);
    const t = Date.now();
    await first.close();
    const closeMs = Date.now() - t;
    const second = await startGateway(config);
    open.unshift(second);
    for (let i = 0; i < 3; i++) expect((await ask(second)).status).toBe(200);
    await sleep(1000);
    const delivered = receiver.received.length - 1;
    expect(delivered, `expected the alert cut by shutdown (after ${closeMs} ms) to be sent after the restart; ${delivered} were`).toBe(1);
  }, 60_000);
});
