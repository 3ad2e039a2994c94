/**
 * State under live-config churn: an operator's script adds a provider and a virtual model per
 * customer through the admin API, sends traffic through it, then removes both, 1,200 times. What
 * the gateway keeps for the removed entries must go with them.
 *
 * Before its fix (a review of state under churn, the fifty-ninth session): DeploymentMap moved a
 * deployment into its uncapped `configured` map and never took it out, so the health tracker and
 * the circuit breaker (and learned limits, least-latency's re-measuring) held 1,201 entries, all
 * reported on the dashboard and in `llm_gateway_circuit_state`; /metrics kept the first 200
 * provider names ever seen for good, so a provider added then was reported as `other`, and kept
 * reading the rate-limit headroom of 200 removed deployments. `config:change` now names the
 * providers replaced or removed, `DeploymentMap.reconfigured` moves what is no longer configured
 * into its LRU and drops what was replaced, and the metrics plugin forgets removed providers'
 * label values and series (plugins/metrics/removed-providers.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, circuitBreakerState, dashboard, metrics, rateLimits, routing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { adminCalls } from '../support/live-config.js';

const ADMIN = 'admin-key-of-the-churn-review-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const CHURNS = 1_200; // past UNCONFIGURED_DEPLOYMENTS_CAP (1,000) and metrics' maxLabelValues (200)

let upstream: MockUpstream;
let gw: RunningGateway;

const admin = adminCalls(() => gw, ADMIN);

async function chat(model: string): Promise<number> {
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  upstream = await startMockUpstream({ record: false });
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    models: { fast: { targets: ['base/mock-small'] } },
    plugins: [dashboard(), routing(), circuitBreaker(), rateLimits(), metrics()],
  });
  // One customer at a time: its provider and its virtual model added, used, removed.
  for (let i = 0; i < CHURNS; i++) {
    await admin('PUT', `/admin/config/providers/c${i}`, { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false });
    await admin('PUT', `/admin/config/models/m${i}`, { targets: [`c${i}/mock-small`] });
    expect(await chat(`m${i}`)).toBe(200);
    await admin('DELETE', `/admin/config/models/m${i}`);
    await admin('DELETE', `/admin/config/providers/c${i}`);
  }
  await chat('fast');
}, 600_000);

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('after 1,200 providers and virtual models were added, used and removed', () => {
  // Only base/mock-small is in force; every c<i>/mock-small is gone.
  it('keeps no health-tracker entry for the removed deployments (GET /v1/providers/:id/health, least-latency)', () => {
    expect(gw.gateway.health.all().length, 'health tracker entries').toBeLessThanOrEqual(1);
  });

  it('keeps no circuit for the removed deployments (circuit-breaker snapshot, dashboard, llm_gateway_circuit_state)', async () => {
    const circuits = await gw.gateway.tryResolve(circuitBreakerState)!.snapshot();
    expect(circuits.length, 'circuit-breaker entries').toBeLessThanOrEqual(1);
  });

  it('reports a provider added now under its own name in /metrics, not as "other"', async () => {
    await admin('PUT', '/admin/config/providers/fresh', { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false });
    expect(await chat('fresh/mock-small')).toBe(200);
    const scrape = await (await fetch(`${gw.url}/metrics`)).text();
    expect(scrape.includes('llm_gateway_requests_total{') && scrape.includes('provider="fresh"'), 'a series with provider="fresh"').toBe(true);
  });

  it('keeps no series of removed providers in /metrics', async () => {
    const scrape = await (await fetch(`${gw.url}/metrics`)).text();
    expect((scrape.match(/provider="c\d+"/g) ?? []).length, 'series of removed providers').toBe(0);
  });

  it('does not keep reporting rate-limit headroom of removed deployments in /metrics', async () => {
    const scrape = await (await fetch(`${gw.url}/metrics`)).text();
    expect((scrape.match(/llm_gateway_rate_limit_headroom\{[^}]*provider="c\d+"/g) ?? []).length, 'headroom series of removed providers').toBe(0);
  });
});
