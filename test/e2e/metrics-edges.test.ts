/**
 * gateway:metrics (plugins/metrics/) where a scrape went wrong: a client's very long model name,
 * requests refused before the pipeline, and the try of a stream the client left.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ollamaApi from 'llm-gateway-plugin-ollama-api';
import { auth, metrics } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
const running: RunningGateway[] = [];
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
  upstream.reset();
});
afterAll(() => upstream?.close());

const start = async (...args: Parameters<typeof startGateway>) => {
  const gw = await startGateway(...args);
  running.push(gw);
  return gw;
};

/** Every series of one metric in Prometheus text: its labels and value. */
function series(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

const scrape = async (gw: RunningGateway) => (await fetch(`${gw.url}/metrics`)).text();

describe('label values chosen by the client', () => {
  it('keeps the /metrics page small when a client sends one very long model name', async () => {
    // Promised (docs/observability.md, `maxLabelValues`; plugins/metrics/bounded-labels.ts): labels
    // from outside a fixed set are bounded "so a client naming models freely cannot grow the series
    // without end". BoundedLabel caps how many values a label keeps, but not how long one is:
    // `provider/<anything>` is routed upstream, and the model name (up to the 8 MiB string limit)
    // becomes a label value on every series and every histogram bucket line. One request with a
    // 12 KB model name (still small enough for the client to read the `x-gateway-model` header
    // echoing it) adds ~1 MB to every scrape; 200 KB adds ~16 MB, and 200 such names make each
    // scrape gigabytes (or Prometheus' label length limits fail the whole scrape, losing every metric).
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics()] });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
    const before = (await scrape(gw)).length;
    // 1,000 characters: a name over 1,024 is refused now (model_name_too_long, a later fix); one
    // this long, on each of its ~80 lines, added about 80 KB before the label's length was capped.
    await client.chat.completions.create({ model: `mock/${'m'.repeat(1_000)}`, messages: [{ role: 'user', content: 'hi' }] });
    const after = (await scrape(gw)).length;
    // A request of any model name should add a few kilobytes of series, not megabytes.
    expect(after - before).toBeLessThan(30_000);
  });
});

describe('requests the pipeline never saw', () => {
  it('counts a 400 (invalid request) and a 401 (unknown key) in llm_gateway_requests_total', async () => {
    // Promised (docs/observability.md, metrics table): `llm_gateway_requests_total` counts "client
    // requests: the API they came in on ..., `2xx`/`4xx`/`5xx`", with provider `none` "when nothing
    // went upstream, e.g. a cache hit or a refusal". plugins/metrics/observe.ts counts only on
    // `request:start`/`request:end`, which core/http/exchange.ts emits after the body was read and
    // parsed and after `authorize` passed, so every request refused at the edge (a 400 from
    // validation, bad JSON, 413, 408, a 401 for a wrong key) is never counted: a client flood of
    // 4xx is invisible in the metrics and in the Grafana error panels.
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: 'admin-key-for-review-tests' }), metrics()] });
    const keyRes = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin-key-for-review-tests', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'reviewer' }) });
    const secret = ((await keyRes.json()) as { secret: string }).secret;

    // 400: `messages` is missing.
    const invalid = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small' }) });
    expect(invalid.status).toBe(400);
    // 401: a key the gateway does not know.
    const stranger = new OpenAI({ baseURL: gw.baseURL, apiKey: 'not-a-gateway-key', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401 });

    const text = await scrape(gw);
    const fourXx = series(text, 'llm_gateway_requests_total').filter((s) => s.labels.status_class === '4xx');
    expect(fourXx.reduce((sum, s) => sum + s.value, 0)).toBe(2);
  });
});

describe('requests refused on the Responses API\'s other paths', () => {
  it('are counted under their own API, not front_end none', async () => {
    // /v1/responses/compact and /v1/responses/input_tokens are APIs (their requests carry
    // `responses.compact` and `responses.input_tokens`); a request refused before the pipeline was
    // counted as `none` ("a path no API serves", docs/observability.md) until they were listed.
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics()] });
    for (const path of ['compact', 'input_tokens']) {
      const res = await fetch(`${gw.url}/v1/responses/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": 5}' });
      expect(res.status).toBe(400);
    }
    const refused = series(await scrape(gw), 'llm_gateway_requests_total').filter((s) => s.labels.status_class === '4xx');
    expect(Object.fromEntries(refused.map((s) => [s.labels.front_end, s.value]))).toEqual({ 'responses.compact': 1, 'responses.input_tokens': 1 });
  });
});

describe("requests refused on a plugin's front-end", () => {
  it('are counted under its API, named by the plugin', async () => {
    // The Ollama API example (examples/plugin-ollama-api) serves /api/chat; a request refused there
    // before the pipeline (its body not JSON) was not counted at all, since only /v1/* counted and
    // only the first-party paths had names (a table in plugins/metrics that plugins could not join).
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics(), ollamaApi()] });
    const refused = await fetch(`${gw.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": ' });
    expect(refused.status).toBe(400);
    const fourXx = series(await scrape(gw), 'llm_gateway_requests_total').filter((s) => s.labels.status_class === '4xx');
    expect(fourXx.map((s) => [s.labels.front_end, s.value])).toEqual([['ollama.chat', 1]]);
  });

  // Found by a review: the router serves a front-end's path in any case and with a trailing slash,
  // and the lookup matched it only as written (uncounted, or counted as `none`).
  it('are counted under its API however the router matched the path', async () => {
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics(), ollamaApi()] });
    for (const path of ['/api/chat/', '/API/Chat', '/v1/chat/completions/', '/V1/Chat/Completions']) {
      const refused = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": ' });
      expect(refused.status).toBe(400);
    }
    const fourXx = series(await scrape(gw), 'llm_gateway_requests_total').filter((s) => s.labels.status_class === '4xx');
    expect(Object.fromEntries(fourXx.map((s) => [s.labels.front_end, s.value]))).toEqual({ 'ollama.chat': 2, 'chat.completions': 2 });
  });
});

describe('streams the client abandons', () => {
  it('counts the upstream try of a stream the client left in gen_ai_client_operation_duration_seconds', async () => {
    // Promised (docs/observability.md): `gen_ai_client_operation_duration_seconds` has "each
    // upstream try (so `_count` by `error_type` is tries and failures per deployment)".
    // plugins/metrics/observe.ts observes a try only when `attempt.endedAt` is set at
    // `request:end`; for a stream the client left, core/http/exchange.ts emits `request:end` from
    // the response's 'close' before writeSse lets go of the stream, whose tap
    // (core/provider-call.ts observeStream) only then sets `endedAt`. The try is never counted, so
    // tries per deployment are under-counted exactly for long streams users cancel.
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics()] });
    upstream.enqueue({ stream: { chunks: wordChunks('one two three four five six seven eight nine ten eleven twelve'), chunkDelayMs: 100 } });
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'count' }] }),
    });
    await res.body!.getReader().read();
    controller.abort();
    await upstream.nextClientAbort();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const text = await scrape(gw);
    expect(series(text, 'llm_gateway_requests_total')).toEqual([expect.objectContaining({ labels: expect.objectContaining({ outcome: 'client_aborted' }), value: 1 })]);
    const tries = series(text, 'gen_ai_client_operation_duration_seconds_count');
    expect(tries.reduce((sum, s) => sum + s.value, 0)).toBe(1);
  });
});
