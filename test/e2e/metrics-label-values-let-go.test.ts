/**
 * /metrics on a gateway whose keys, teams and providers come and go: a label value not seen for
 * `labelIdleMs` is let go with its series, and frees its place under `maxLabelValues`.
 *
 * Before its fix (reviews of key churn and of the fifty-ninth session's own diff): a label kept
 * the first `maxLabelValues` values ever seen for good. On a gateway whose per-session keys are
 * made and revoked, every key after the first N was reported as `other` for good, and the revoked
 * keys' series stayed in every scrape; and a request on its way to a provider when it was removed
 * brought the provider's series back, for good, once it ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard, metrics } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { adminCalls } from '../support/live-config.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'metrics-label-values-admin-key-0123456789';
const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const CAP = 3;
const IDLE_MS = 400;

let upstream: MockUpstream;
let gw: RunningGateway;
const admin = adminCalls(() => gw, ADMIN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { mock: mockProvider(upstream), base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), dashboard(), metrics({ labels: { key: true, team: true }, maxLabelValues: CAP, labelIdleMs: IDLE_MS, processMetrics: false })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function createKey(name: string, team: string): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name, team }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function chat(secret: string, model = 'mock/m'): Promise<number> {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
const requestLines = (text: string) => text.split('\n').filter((line) => line.startsWith('llm_gateway_requests_total{'));

describe('metrics label values under churn', () => {
  it('a key (and team) made after CAP others were used and revoked gets its own label, and theirs leave', async () => {
    for (let i = 0; i < CAP; i++) {
      const { id, secret } = await createKey(`session-${i}`, `team-${i}`);
      expect(await chat(secret)).toBe(200);
      expect((await fetch(`${gw.url}/admin/keys/${id}`, { method: 'DELETE', headers: adminHeaders })).status).toBe(200);
    }
    await sleep(IDLE_MS + 200);
    const { secret } = await createKey('fresh-session', 'fresh-team');
    expect(await chat(secret)).toBe(200);
    const lines = requestLines(await scrape());
    expect(lines.filter((line) => line.includes('key="fresh-session"') && line.includes('team="fresh-team"'))).toHaveLength(1);
    expect(lines.filter((line) => /key="session-\d+"/.test(line)), 'series of the revoked keys').toEqual([]);
  });

  it('a provider removed while one of its requests was on its way leaves once that request ended', async () => {
    await admin('PUT', '/admin/config/providers/customer1', { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false });
    upstream.enqueue({ delayMs: 800, body: completion({ model: 'mock-small' }) });
    const { secret } = await createKey('in-flight', 'in-flight-team');
    const onItsWay = chat(secret, 'customer1/mock-small');
    await sleep(200);
    await admin('DELETE', '/admin/config/providers/customer1');
    expect(await onItsWay).toBe(200);
    await sleep(IDLE_MS + 200);
    const lines = (await scrape()).split('\n').filter((line) => line.includes('provider="customer1"'));
    expect(lines, 'series of the removed provider').toEqual([]);
  });
});
