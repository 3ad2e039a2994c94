/**
 * A virtual model that names no strategy routes by `routing({ strategy })`'s default. Before its
 * fix the dashboard showed such a model as `fallback` and selected it in the model form, so saving
 * the form for any other reason (a weight, a target) wrote `strategy: 'fallback'` into a live
 * override, and a model added from the form could never take the default (a review of the day's
 * diff found it). The form now offers "routing default" (an empty value), selected for such a model.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dashboard, routing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { logInWithFetch } from './login.js';

const ADMIN_KEY = 'admin-key-of-the-review-diff2-tests';
let upstream: MockUpstream;
const running: RunningGateway[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream?.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.close()));
});

const form = (cookie: string, csrf?: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded', ...(csrf ? { 'x-csrf-token': csrf } : {}) });

/** What a browser submits for a <select>: the selected option, else the first; its value attribute, else its text. */
function submittedStrategy(html: string): string {
  const select = /<select name="strategy">([^]*?)<\/select>/.exec(html)![1]!;
  const options = [...select.matchAll(/<option([^>]*)>([^<]*)<\/option>/g)];
  const chosen = options.find((o) => /\bselected\b/.test(o[1]!)) ?? options[0]!;
  const value = /value="([^"]*)"/.exec(chosen[1]!);
  return value ? value[1]! : chosen[2]!.trim();
}

async function start(): Promise<{ gw: RunningGateway; cookie: string; csrf: string | undefined }> {
  const gw = await startGateway({
    providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    models: { fast: { targets: ['a/mock-small', 'a/mock-large'] } },
    plugins: [routing({ strategy: 'least-latency' }), dashboard({ adminKey: ADMIN_KEY })],
  });
  running.push(gw);
  const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
  return { gw, cookie: cookie!, csrf };
}

/** The strategy a request to the model is routed by: its own, else routing's default. */
const inForce = (gw: RunningGateway, name: string) => gw.gateway.models.virtualModel(name)!.strategy ?? 'least-latency';

describe('dashboard and the routing default strategy (review of 833ad4d)', () => {
  it("saving a model's form unchanged but for a weight keeps the routing default it had", async () => {
    const { gw, cookie, csrf } = await start();
    expect(inForce(gw, 'fast')).toBe('least-latency');
    const page = await (await fetch(`${gw.url}/dashboard/providers`, { headers: { cookie } })).text();
    const section = /<section class="model" id="model-fast">([^]*?)<\/section>/.exec(page)![1]!;
    const strategy = submittedStrategy(section);
    const body = new URLSearchParams([['name', 'fast'], ['target', 'a/mock-small'], ['weight', '2'], ['priority', ''], ['target', 'a/mock-large'], ['weight', ''], ['priority', ''], ['target', ''], ['weight', ''], ['priority', ''], ['strategy', strategy]]);
    const saved = await fetch(`${gw.url}/dashboard/models`, { method: 'POST', headers: form(cookie, csrf), body }).then((r) => r.text());
    expect(saved).toContain('Virtual model fast saved.');
    // Now: 'fallback' (the form pre-selected it and wrote it into the override).
    expect(inForce(gw, 'fast')).toBe('least-latency');
  });

  it('a model added from the form with the strategy left as offered takes the routing default', async () => {
    const { gw, cookie, csrf } = await start();
    const page = await (await fetch(`${gw.url}/dashboard/providers`, { headers: { cookie } })).text();
    const add = /<details class="add">\s*<summary>Add a virtual model<\/summary>([^]*?)<\/details>/.exec(page)![1]!;
    const strategy = submittedStrategy(add);
    const body = new URLSearchParams([['name', 'added'], ['target', 'a/mock-small'], ['weight', ''], ['priority', ''], ['target', 'a/mock-large'], ['weight', ''], ['priority', ''], ['strategy', strategy]]);
    const saved = await fetch(`${gw.url}/dashboard/models`, { method: 'POST', headers: form(cookie, csrf), body }).then((r) => r.text());
    expect(saved).toContain('Virtual model added saved.');
    // Now: 'fallback', the first option of a select that offers no "routing default".
    expect(inForce(gw, 'added')).toBe('least-latency');
  });
});
