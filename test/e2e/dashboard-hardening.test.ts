/**
 * gateway:dashboard where an operator or an attacker presses on it: passwords inside URLs (the
 * store's, a provider's), secrets of a refused or nested change, asset names from
 * Object.prototype, numbers that are not, the provider types offered, and htmx buttons pressed
 * after the session ended or with a page older than the session. Real sockets; each case names
 * the behaviour expected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard, usageLogger, type GatewayConfig } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { logInWithFetch } from '../plugins/dashboard/login.js';

const ADMIN_KEY = 'admin-key-of-the-review-tests';
const SECRETS_KEY = 'secrets key of the dashboard review tests';
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
  delete process.env.LLM_GATEWAY_SECRETS_KEY;
  upstream.reset?.();
});

async function start(plugins: GatewayConfig['plugins'], extra: Partial<GatewayConfig> = {}): Promise<RunningGateway> {
  const gw = await startGateway({
    server: { adminKey: ADMIN_KEY },
    providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false }, b: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    models: { fast: { targets: ['a/mock-small', 'b/mock-small'] } },
    plugins,
    ...extra,
  });
  running.push(gw);
  return gw;
}
const form = (cookie: string, csrf?: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded', ...(csrf ? { 'x-csrf-token': csrf } : {}) });
const adminJson = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

describe('the dashboard under pressure', () => {
  // The Config page prints the store URL masked; a regex of its own that needed a user name before
  // the colon printed Redis's usual `redis://:password@host` form (no user: the `default` user)
  // with its password in clear. Expected: no store password ever reaches a page
  // (docs/dashboard.md: "Nothing secret reaches the browser"); the kernel's maskUrlPasswords handles it.
  it('never prints the Redis password of a `redis://:password@host` store on the Config page', async () => {
    const port = await freePort();
    const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--requirepass', 'hunter2-redis-password'], { stdio: 'ignore' });
    try {
      await waitForPort(port);
      const gw = await start([dashboard()], { store: `redis://:hunter2-redis-password@127.0.0.1:${port}/0` });
      const { cookie } = await logInWithFetch(gw.url, ADMIN_KEY);
      const page = await (await fetch(`${gw.url}/dashboard/config`, { headers: { cookie: cookie! } })).text();
      expect(page).toContain(`127.0.0.1:${port}`);
      expect(page).not.toContain('hunter2-redis-password');
    } finally {
      await Promise.all(running.splice(0).map((gw) => gw.close()));
      redis.kill();
    }
  });

  // `masked` (secrets.ts) hid options by name only: a password inside a URL option
  // (`baseURL: https://user:password@proxy/v1`, a basic-auth proxy) was printed in clear on the
  // Providers and Config pages and in GET /admin/config, though the kernel treats URL passwords as
  // secrets everywhere else (core/mask-urls.ts: config errors, logs). Expected: shown masked
  // (`https://user:***@proxy/v1`), as docs/dashboard.md promises nothing secret reaches the browser.
  it('masks a password inside a provider URL on every page and in the admin API', async () => {
    const gw = await startGateway({ server: { adminKey: ADMIN_KEY }, providers: { a: { type: 'openai-compatible', baseURL: 'https://proxyuser:hunter2proxypass@proxy.example/v1', listModels: false } }, plugins: [dashboard()] });
    running.push(gw);
    const { cookie } = await logInWithFetch(gw.url, ADMIN_KEY);
    for (const path of ['/dashboard/providers', '/dashboard/config', '/admin/config']) {
      const text = await (await fetch(`${gw.url}${path}`, { headers: { cookie: cookie! } })).text();
      expect(text, path).toContain('proxy.example');
      expect(text, path).not.toContain('hunter2proxypass');
    }
  });

  // setEntry (config-api.ts) seals the typed-in key into the secret store (secrets.ts `sealed`,
  // `live.secrets.set`) before live.set validates the entry. Without an undo, a refused change
  // ("nothing changed", 400) had already overwritten the stored secret of the provider in force:
  // the page and the API showed the new key's last four characters at once, and the next unrelated
  // live change (or a restart, or another replica's poll) sent the refused key upstream. Expected: a refused change leaves the stored secret as it was.
  it('a refused provider change leaves the provider\'s stored secret untouched', async () => {
    process.env.LLM_GATEWAY_SECRETS_KEY = SECRETS_KEY;
    const gw = await start([dashboard()]);
    const put = (body: unknown) => fetch(`${gw.url}/admin/config/providers/typed`, { method: 'PUT', headers: adminJson, body: JSON.stringify(body) });
    expect((await put({ type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-the-good-key-1111', listModels: false })).status).toBe(200);
    const refused = await put({ type: 'openai-compatible', baseURL: 'not a url', apiKey: 'sk-the-refused-key-2222', listModels: false });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('nothing changed');
    // Still the first key, as stored and as shown.
    expect(await gw.gateway.live.secrets.get('provider:typed:apiKey')).toBe('sk-the-good-key-1111');
    const shown = JSON.stringify(await (await fetch(`${gw.url}/admin/config`, { headers: adminJson })).json());
    expect(shown).toContain('…1111');
    // And after an unrelated change, requests to `typed` still carry the key in force.
    const patched = await fetch(`${gw.url}/admin/config/providers/b`, { method: 'PATCH', headers: adminJson, body: JSON.stringify({ enabled: false }) });
    expect(patched.status, await patched.clone().text()).toBe(200);
    upstream.requests.length = 0;
    const chat = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'typed/mock-small', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(chat.status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-the-good-key-1111');
  });

  // `sealed` (secrets.ts) sealed only top-level options. A secret in a nested option the kernel
  // itself treats as secret by its name (openai-compatible's `headers: { Authorization: ... }`,
  // masked on every page because its last path segment ends in "authorization") was written to
  // the store's overrides in clear, and accepted even without LLM_GATEWAY_SECRETS_KEY. Expected
  // (docs: "A secret typed in ... is never kept in clear"): sealed, or refused with
  // secrets_key_missing.
  it('never keeps a nested secret option (headers.Authorization) in clear in the live overrides', async () => {
    const gw = await start([dashboard()]);
    const put = await fetch(`${gw.url}/admin/config/providers/proxied`, {
      method: 'PUT',
      headers: adminJson,
      body: JSON.stringify({ type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false, headers: { Authorization: 'Bearer sk-nested-secret-3333' } }),
    });
    const stored = JSON.stringify(await gw.gateway.store.kv('live-config').get('overrides').catch(() => undefined)) + JSON.stringify(gw.gateway.live.overrides());
    // Either refused (no secrets key to seal it with) or kept without the secret in clear.
    if (put.status === 200) expect(stored).not.toContain('sk-nested-secret-3333');
    else expect(await put.json()).toMatchObject({ error: { code: 'secrets_key_missing' } });
  });

  // The public asset route (index.ts) looks the file up in a plain object literal: `constructor`,
  // `__proto__`, `toString`... are found on Object.prototype, and createReadStream(undefined)
  // throws, so any unauthenticated client gets a 500 and an error log line ("request failed
  // unexpectedly") per request. Expected: 404 for any name that is not one of the two assets.
  it('answers 404, not 500, for an asset name inherited from Object.prototype', async () => {
    const gw = await start([dashboard()]);
    for (const name of ['constructor', '__proto__', 'toString']) {
      const answer = await fetch(`${gw.url}/dashboard/assets/${name}`);
      expect(answer.status, name).toBe(404);
    }
  });

  // The virtual model form (pages/providers.ts `model`) turns weight and priority with Number()
  // and never checks the result: "abc" is NaN, which passes the schema (NaN is a number, and
  // NaN <= 0 is false), is applied in memory as NaN (the weighted shuffle sorts NaN keys), and
  // is stored as null (JSON), so the model routes differently after a restart. The page says
  // "saved". Expected: refused as the other number fields are (numberField: "must be a number").
  it('refuses a weight or priority that is not a number instead of saving NaN', async () => {
    const gw = await start([dashboard()]);
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const body = new URLSearchParams([['name', 'fast'], ['target', 'a/mock-small'], ['weight', 'abc'], ['priority', 'x'], ['target', 'b/mock-small'], ['weight', '1'], ['priority', ''], ['strategy', 'weighted']]);
    const page = await fetch(`${gw.url}/dashboard/models`, { method: 'POST', headers: form(cookie!, csrf), body }).then((r) => r.text());
    expect(page).not.toContain('Virtual model fast saved.');
    expect(gw.gateway.live.overrides().models).toEqual({});
  });

  // The Providers page (pages/providers.ts:17, TYPES) offers "azure" in the type suggestions, but
  // the provider type is registered as "azure-openai": picking the suggestion is always refused
  // ("type must be one of ..."). Expected: every suggested type is one the gateway accepts.
  it('suggests only provider types the gateway accepts', async () => {
    const gw = await start([dashboard()]);
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const page = await (await fetch(`${gw.url}/dashboard/providers`, { headers: { cookie: cookie! } })).text();
    const offered = [...(/<datalist id="provider-types">([^]*?)<\/datalist>/.exec(page)?.[1] ?? '').matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]!);
    expect(offered.length).toBeGreaterThan(0);
    for (const type of offered) {
      const answer = await fetch(`${gw.url}/dashboard/providers`, { method: 'POST', headers: form(cookie!, csrf), body: new URLSearchParams({ name: `p-${type}`, type, baseURL: upstream.baseURL }) }).then((r) => r.text());
      expect(answer, type).not.toMatch(/type must be one of/);
    }
  });

  // An htmx action (every Save/Disable/Revoke button) sent after the session ended (expired after
  // sessionTtlMs, or logged out in another tab) is answered 401 in the OpenAI JSON format. htmx does
  // not swap 4xx answers, so the click silently does nothing: no message, no way back to the login
  // page, and the operator believes the change was made. The gate sends htmx GETs without a
  // session to the login page with HX-Redirect (index.ts gate), but not htmx POSTs. Expected: an
  // htmx request to a dashboard page without a valid session is sent to the login page too
  // (HX-Redirect), as the GETs are.
  it('sends an htmx action made after the session ended to the login page rather than failing silently', async () => {
    const gw = await start([dashboard()]);
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const logout = await fetch(`${gw.url}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: cookie!, 'x-csrf-token': csrf! } });
    expect(logout.status).toBe(303);
    // The tab still open on the Providers page: its Disable button.
    const answer = await fetch(`${gw.url}/dashboard/providers/a/toggle`, { method: 'POST', headers: { ...form(cookie!, csrf), 'hx-request': 'true' }, body: new URLSearchParams({ enabled: 'false' }) });
    expect(answer.headers.get('hx-redirect') ?? '').toMatch(/^\/dashboard\/login/);
    expect(gw.gateway.live.overrides().providers).toEqual({});
  });

  // The same silence with a live session and a page older than it (logged in again in another
  // tab: the page's CSRF token is the old session's): htmx swaps no 403, so the page is reloaded
  // (HX-Refresh) for a token of this session, and nothing is changed.
  it("reloads a page whose CSRF token is not the session's when one of its htmx buttons is pressed", async () => {
    const gw = await start([dashboard()]);
    const { cookie } = await logInWithFetch(gw.url, ADMIN_KEY);
    const answer = await fetch(`${gw.url}/dashboard/providers/a/toggle`, { method: 'POST', headers: { ...form(cookie!, 'a-token-of-another-session'), 'hx-request': 'true' }, body: new URLSearchParams({ enabled: 'false' }) });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('hx-refresh')).toBe('true');
    expect(gw.gateway.live.overrides().providers).toEqual({});
    // Without htmx, the API's own answer: OpenAI-format JSON naming the CSRF token.
    const plain = await fetch(`${gw.url}/dashboard/providers/a/toggle`, { method: 'POST', headers: form(cookie!, 'a-token-of-another-session'), body: new URLSearchParams({ enabled: 'false' }) });
    expect(plain.status).toBe(403);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('csrf_failed');
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}
