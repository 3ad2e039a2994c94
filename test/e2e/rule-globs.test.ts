/**
 * gateway:rules globs, through real sockets: model names and header values are not file paths, so
 * a `*` crosses their slashes (sdk/plugin/model-glob.ts). Key and cache globs share the compiler.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { routing, rules } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const post = (gw: RunningGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('rule globs', () => {
  let upstreams: MockUpstream[] = [];
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    for (const u of upstreams) await u.close();
    upstreams = [];
  });

  // docs/routing.md ("Rules"): `model` is "a glob on the requested model (case-insensitive)", and
  // core/routing/resolve-model.ts says a `provider/model`'s model "may itself contain slashes:
  // `openrouter/meta-llama/llama-3.3-70b-instruct`". plugins/rules/match.ts compiles the glob with
  // picomatch, a *path* matcher, whose `*` never crosses a `/`: `openrouter/*` does not match
  // `openrouter/meta-llama/llama-3.3-70b-instruct` (nor does `*` match any `provider/model`), so
  // the rule is silently skipped and the request goes where the client named.
  it("a model glob 'openrouter/*' matches an OpenRouter model whose name has a slash", async () => {
    const openrouter = await startMockUpstream();
    const cheap = await startMockUpstream();
    upstreams = [openrouter, cheap];
    gw = await startGateway({
      providers: { openrouter: mockProvider(openrouter), cheap: mockProvider(cheap) },
      plugins: [rules({ rules: [{ name: 'no openrouter', when: { model: 'openrouter/*' }, route: 'cheap/m' }] }), routing()],
    });
    const res = await post(gw, { model: 'openrouter/meta-llama/llama-3.3-70b-instruct', messages: [{ role: 'user', content: 'hi' }] });
    await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-provider')).toBe('cheap');
  });

  // docs/routing.md ("Rules"): `headers` is "header name → glob on its value". Header values
  // routinely hold slashes (User-Agent `my-batch-job/1.4`, `application/json`), and a picomatch
  // `*` stops at them: `my-batch-job*` never matches `my-batch-job/1.4`, so the rule is skipped.
  it('a header glob matches a User-Agent value that contains a slash', async () => {
    const main = await startMockUpstream();
    const batch = await startMockUpstream();
    upstreams = [main, batch];
    gw = await startGateway({
      providers: { main: mockProvider(main), batch: mockProvider(batch) },
      plugins: [rules({ rules: [{ name: 'batch job', when: { headers: { 'user-agent': 'my-batch-job*' } }, route: 'batch/m' }] }), routing()],
    });
    const res = await post(gw, { model: 'main/m', messages: [{ role: 'user', content: 'hi' }] }, { 'user-agent': 'my-batch-job/1.4' });
    await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-provider')).toBe('batch');
  });
});
