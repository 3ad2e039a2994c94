/**
 * Who may reach the dashboard and the admin API: nobody when no admin key is configured (the
 * dashboard is off and says why); with one (server.adminKey, LLM_GATEWAY_ADMIN_KEY or a plugin's
 * deprecated adminKey option), every /admin/* route and every page needs the admin key or a
 * session, with or without gateway:auth; a session works on other plugins' admin routes;
 * state changes need the CSRF token; logins are rate-limited; secrets and key hashes never reach
 * a page; templates escape what they print.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard, dashboardStatus, usageLogger, type GatewayConfig } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { logInWithFetch } from './login.js';
import { ownRedisDatabase } from '../../support/redis-databases.js';

const ADMIN_KEY = 'admin-key-of-the-access-tests';
let upstream: MockUpstream;
const running: RunningGateway[] = [];
const savedAdminKey = process.env.LLM_GATEWAY_ADMIN_KEY;

beforeAll(async () => {
  upstream = await startMockUpstream();
  delete process.env.LLM_GATEWAY_ADMIN_KEY;
});
afterAll(async () => {
  await upstream?.close();
  if (savedAdminKey !== undefined) process.env.LLM_GATEWAY_ADMIN_KEY = savedAdminKey;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.close()));
  delete process.env.LLM_GATEWAY_SECRETS_KEY;
});

async function start(plugins: GatewayConfig['plugins'], server: GatewayConfig['server'] = {}): Promise<RunningGateway> {
  const gw = await startGateway({ server, providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins });
  running.push(gw);
  return gw;
}

const form = (cookie: string, csrf?: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded', ...(csrf ? { 'x-csrf-token': csrf } : {}) });

describe('dashboard access', () => {
  it('is off without an admin key, and says why', async () => {
    const gw = await start([usageLogger({ url: 'sqlite::memory:' }), dashboard()]);
    expect(gw.gateway.tryResolve(dashboardStatus)).toMatchObject({ enabled: false, reason: expect.stringContaining('LLM_GATEWAY_ADMIN_KEY') });
    expect((await fetch(`${gw.url}/dashboard`)).status).toBe(404);
    expect((await fetch(`${gw.url}/admin/config`)).status).toBe(404);
  });

  it('turns on with LLM_GATEWAY_ADMIN_KEY and then guards every admin route, without the auth plugin', async () => {
    process.env.LLM_GATEWAY_ADMIN_KEY = ADMIN_KEY;
    try {
      const gw = await start([usageLogger({ url: 'sqlite::memory:' }), dashboard()]);
      expect(gw.gateway.tryResolve(dashboardStatus)).toMatchObject({ enabled: true, path: '/dashboard' });
      for (const path of ['/admin/logs', '/admin/usage', '/admin/config']) {
        expect((await fetch(`${gw.url}${path}`)).status).toBe(401);
        expect((await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer wrong-key-wrong-key' } })).status).toBe(401);
        expect((await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
      }
      // A page without a session sends a browser to the login page; the login page and htmx are public.
      const page = await fetch(`${gw.url}/dashboard/logs?provider=a`, { redirect: 'manual' });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Flogs%3Fprovider%3Da');
      expect((await fetch(`${gw.url}/dashboard/login`)).status).toBe(200);
      const htmx = await fetch(`${gw.url}/dashboard/assets/htmx.min.js`);
      expect(htmx.status).toBe(200);
      expect(await htmx.text()).toContain('htmx');
      // The API stays open to clients: the dashboard guards admin routes only.
      expect((await fetch(`${gw.url}/v1/models`)).status).toBe(200);
    } finally {
      delete process.env.LLM_GATEWAY_ADMIN_KEY;
    }
  });

  it('turns on with server.adminKey, the same key the kernel checks on every admin route', async () => {
    const gw = await start([usageLogger({ url: 'sqlite::memory:' }), dashboard()], { adminKey: ADMIN_KEY });
    expect(gw.gateway.tryResolve(dashboardStatus)).toMatchObject({ enabled: true });
    const refused = await fetch(`${gw.url}/admin/logs`, { headers: { authorization: 'Bearer wrong-key-wrong-key' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_admin_key' } });
    expect((await fetch(`${gw.url}/admin/logs`, { headers: { 'x-api-key': ADMIN_KEY } })).status).toBe(200);
    const { status, cookie } = await logInWithFetch(gw.url, ADMIN_KEY);
    expect(status).toBe(303);
    expect((await fetch(`${gw.url}/admin/logs`, { headers: { cookie: cookie! } })).status).toBe(200);
  });

  it("takes the admin key from the auth plugin's deprecated option too: the dashboard is on, logins and scripts use it", async () => {
    const gw = await start([auth({ adminKey: ADMIN_KEY }), dashboard()]);
    expect(gw.gateway.tryResolve(dashboardStatus)).toMatchObject({ enabled: true });
    expect((await fetch(`${gw.url}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
    const { status, cookie } = await logInWithFetch(gw.url, ADMIN_KEY);
    expect(status).toBe(303);
    expect((await fetch(`${gw.url}/admin/keys`, { headers: { cookie: cookie! } })).status).toBe(200);
  });

  it("accepts a session on the auth plugin's admin routes, and refuses a state change without the CSRF token", async () => {
    const gw = await start([auth(), dashboard()], { adminKey: ADMIN_KEY });
    const { status, cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    expect(status).toBe(303);
    expect(csrf).toBeTruthy();
    expect((await fetch(`${gw.url}/admin/keys`)).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/keys`, { headers: { cookie: cookie! } })).status).toBe(200);
    const create = (headers: Record<string, string>) => fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'k' }) });
    const refused = await create({ cookie: cookie! });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('csrf_failed');
    expect((await create({ cookie: cookie!, 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await create({ cookie: cookie!, 'x-csrf-token': csrf! })).status).toBe(201);
    // A script with the admin key needs no session and no CSRF token.
    expect((await create({ authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(201);
    // A forged cookie is no session.
    const forged = `${cookie!.slice(0, -3)}abc`;
    expect((await fetch(`${gw.url}/admin/keys`, { headers: { cookie: forged } })).status).toBe(401);
    // Logging out (a plain form, no JavaScript needed) needs the token too, and clears the cookie.
    expect((await fetch(`${gw.url}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: form(cookie!), body: '' })).status).toBe(403);
    const out = await fetch(`${gw.url}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: form(cookie!), body: new URLSearchParams({ _csrf: csrf! }) });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie()[0]).toMatch(/^llm_gateway_session=; .*Max-Age=0/);
  });

  it('ends the session for every copy of its cookie at logout, and only that session', async () => {
    const gw = await start([dashboard()], { adminKey: ADMIN_KEY });
    const first = await logInWithFetch(gw.url, ADMIN_KEY);
    const second = await logInWithFetch(gw.url, ADMIN_KEY);
    const logout = await fetch(`${gw.url}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: form(first.cookie!), body: new URLSearchParams({ _csrf: first.csrf! }) });
    expect(logout.status).toBe(303);
    // A copy of the cookie (another tab kept it, or someone took it) is no session any more.
    expect((await fetch(`${gw.url}/admin/config`, { headers: { cookie: first.cookie! } })).status).toBe(401);
    const page = await fetch(`${gw.url}/dashboard/keys`, { redirect: 'manual', headers: { cookie: first.cookie! } });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toMatch(/^\/dashboard\/login\?next=/);
    // The other session goes on.
    expect((await fetch(`${gw.url}/admin/config`, { headers: { cookie: second.cookie! } })).status).toBe(200);
  });

  it('rate-limits failed logins per address, the right key included once blocked', async () => {
    const gw = await start([dashboard({ adminKey: ADMIN_KEY, loginAttempts: 2 })]);
    expect((await logInWithFetch(gw.url, 'wrong-key-number-one')).status).toBe(401);
    expect((await logInWithFetch(gw.url, 'wrong-key-number-two')).status).toBe(401);
    const blocked = await logInWithFetch(gw.url, ADMIN_KEY);
    expect(blocked.status).toBe(429);
    expect(blocked.cookie).toBeUndefined();
  });

  it('compares no more keys than the limit allows, however many logins are sent at once', async () => {
    const gw = await start([dashboard({ adminKey: ADMIN_KEY, loginAttempts: 3 })]);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => logInWithFetch(gw.url, `wrong-key-number-${i}-0123456789`)));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(9);
  });

  it('behind trusted proxies, limits each client by the address the proxy saw, and sets Secure cookies where the proxy took HTTPS', async () => {
    const gw = await start([dashboard({ adminKey: ADMIN_KEY, loginAttempts: 2 })], { trustedProxies: 1 });
    // What one proxy adds: the address it was reached from, last; a client may have put anything before it.
    const from = (client: string, forged?: string) => ({ 'x-forwarded-for': forged ? `${forged}, ${client}` : client, 'x-forwarded-proto': 'https' });
    expect((await logInWithFetch(gw.url, 'wrong-key-number-one', from('203.0.113.1'))).status).toBe(401);
    expect((await logInWithFetch(gw.url, 'wrong-key-number-two', from('203.0.113.1', '198.51.100.7'))).status).toBe(401);
    expect((await logInWithFetch(gw.url, ADMIN_KEY, from('203.0.113.1', '198.51.100.8'))).status).toBe(429);
    const other = await logInWithFetch(gw.url, ADMIN_KEY, from('203.0.113.2'));
    expect(other.status).toBe(303);
    expect(other.setCookie).toMatch(/; Secure/);
  });

  it('without trusted proxies, ignores the forwarding headers any client can send', async () => {
    const gw = await start([dashboard({ adminKey: ADMIN_KEY, loginAttempts: 2 })]);
    const from = (client: string) => ({ 'x-forwarded-for': client, 'x-forwarded-proto': 'https' });
    const welcome = await logInWithFetch(gw.url, ADMIN_KEY, from('203.0.113.3'));
    expect(welcome.status).toBe(303);
    expect(welcome.setCookie).not.toMatch(/Secure/);
    expect((await logInWithFetch(gw.url, 'wrong-key-number-one', from('203.0.113.1'))).status).toBe(401);
    expect((await logInWithFetch(gw.url, 'wrong-key-number-two', from('203.0.113.2'))).status).toBe(401);
    // Every address it claims is the one connection's: it is blocked as one.
    expect((await logInWithFetch(gw.url, ADMIN_KEY, from('203.0.113.4'))).status).toBe(429);
  });

  it('refuses a login without the form token (login CSRF)', async () => {
    const gw = await start([dashboard({ adminKey: ADMIN_KEY })]);
    const answer = await fetch(`${gw.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: ADMIN_KEY }) });
    expect(answer.status).toBe(403);
    expect(answer.headers.getSetCookie().some((c) => c.startsWith('llm_gateway_session='))).toBe(false);
  });

  it('adds a provider from the form, its key sealed, and says what is missing when it cannot be', async () => {
    const gw = await start([dashboard({ adminKey: ADMIN_KEY })]);
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const add = (fields: Record<string, string>) => fetch(`${gw.url}/dashboard/providers`, { method: 'POST', headers: form(cookie!, csrf), body: new URLSearchParams(fields) }).then((r) => r.text());
    const fields = { name: 'typed', type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-from-the-form-5555' };
    expect(await add(fields)).toContain('set LLM_GATEWAY_SECRETS_KEY');
    expect(gw.gateway.live.overrides().providers).toEqual({});
    expect(await add({ ...fields, name: 'bad name!' })).toContain('A provider id is 1 to 200 letters');
  });

  it("keeps what the model form does not show (a target's tier and params) when weights are edited", async () => {
    const gw = await startGateway({
      providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      models: { fast: { targets: [{ model: 'a/mock-small', tier: 'paid', params: { temperature: 0 } }, 'a/mock-large'], description: 'kept too' } },
      plugins: [dashboard({ adminKey: ADMIN_KEY })],
    });
    running.push(gw);
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const body = new URLSearchParams([['name', 'fast'], ['target', 'a/mock-small'], ['weight', '2'], ['priority', ''], ['target', 'a/mock-large'], ['weight', '5'], ['priority', '1'], ['target', ''], ['weight', ''], ['priority', ''], ['strategy', 'fallback']]);
    const page = await fetch(`${gw.url}/dashboard/models`, { method: 'POST', headers: form(cookie!, csrf), body }).then((r) => r.text());
    expect(page).toContain('Virtual model fast saved.');
    expect(gw.gateway.live.overrides().models.fast).toEqual({
      targets: [{ model: 'a/mock-small', tier: 'paid', params: { temperature: 0 }, weight: 2 }, { model: 'a/mock-large', weight: 5, priority: 1 }],
      strategy: 'fallback',
      description: 'kept too',
    });
  });

  it("edits a key's models, limits and budget from the form, keeping a token bucket's settings", async () => {
    const gw = await start([auth(), dashboard()], { adminKey: ADMIN_KEY });
    const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const { id } = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'edited', team: 'ops', limits: { rpm: 10, algorithm: 'token-bucket', burst: 5 }, budget: { monthlyUsd: 50 } }) })).json()) as { id: string };
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const body = new URLSearchParams({ models: 'a/*, fast', rpm: '20', tpm: '', dailyUsd: '3', monthlyUsd: '', team: 'ops', expiresAt: '' });
    expect(await fetch(`${gw.url}/dashboard/keys/${id}`, { method: 'POST', headers: form(cookie!, csrf), body }).then((r) => r.text())).toContain('Key edited saved.');
    const key = (await (await fetch(`${gw.url}/admin/keys/${id}`, { headers: admin })).json()) as Record<string, unknown>;
    expect(key).toMatchObject({ name: 'edited', team: 'ops', models: ['a/*', 'fast'], limits: { rpm: 20, algorithm: 'token-bucket', burst: 5 }, budget: { dailyUsd: 3 } });
    expect(key.budget).not.toHaveProperty('monthlyUsd');
  });

  it("shows each team's budget beside what its keys spent, before the team has made a request", async () => {
    const gw = await start([auth({ teams: { search: { budget: { dailyUsd: 2, monthlyUsd: 40 } } } }), dashboard()], { adminKey: ADMIN_KEY });
    const { cookie } = await logInWithFetch(gw.url, ADMIN_KEY);
    const page = await (await fetch(`${gw.url}/dashboard/keys`, { headers: { cookie: cookie! } })).text();
    expect(page).toContain('<h2>Teams this month</h2>');
    expect(page).toMatch(/<tr id="team-search"><td>search<\/td><td>0<\/td><td>\$0\.0000<\/td><td>\$0\.0000 \/ \$2 · \$0\.0000 \/ \$40<\/td>\s*<td>/);
    // Its budget, editable, marked as the config's.
    expect(page).toMatch(/<tr id="team-search">[^]*name="monthlyUsd" value="40"[^]*from the config[^]*<\/tr>/);
  });

  it('never renders a provider secret or a key hash, and escapes what it prints', async () => {
    process.env.LLM_GATEWAY_SECRETS_KEY = 'secrets key of the dashboard access tests';
    const gw = await start([auth({ adminKey: ADMIN_KEY }), dashboard({ adminKey: ADMIN_KEY })]);
    const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const put = await fetch(`${gw.url}/admin/config/providers/typed`, { method: 'PUT', headers: admin, body: JSON.stringify({ type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-typed-in-secret-9876', listModels: false }) });
    expect(put.status).toBe(200);
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: '<script>alert(1)</script>' }) });
    const { secret } = (await created.json()) as { secret: string };
    const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(secret).digest('hex');
    for (const path of ['/dashboard/providers', '/dashboard/config', '/dashboard/keys', '/admin/config', '/admin/config/audit']) {
      const text = await (await fetch(`${gw.url}${path}`, { headers: { cookie: cookie! } })).text();
      expect(text, path).not.toContain('sk-typed-in-secret');
      expect(text, path).not.toContain(secret);
      expect(text, path).not.toContain(hash);
    }
    const providers = await (await fetch(`${gw.url}/dashboard/providers`, { headers: { cookie: cookie! } })).text();
    expect(providers).toContain('…9876');
    // The same from the form: sealed, shown by its last four characters.
    const added = await fetch(`${gw.url}/dashboard/providers`, { method: 'POST', headers: form(cookie!, csrf), body: new URLSearchParams({ name: 'formed', type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-from-the-form-5555' }) }).then((r) => r.text());
    expect(added).toContain('Provider formed added.');
    expect(added).toContain('stored secret &quot;provider:formed:apiKey&quot; …5555');
    expect(added).not.toContain('sk-from-the-form');
    expect(gw.gateway.live.overrides().providers.formed).toMatchObject({ apiKey: { secret: 'provider:formed:apiKey' } });
    const keys = await (await fetch(`${gw.url}/dashboard/keys`, { headers: { cookie: cookie! } })).text();
    expect(keys).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(keys).not.toContain('<script>alert(1)');
    // The page's policy allows scripts from the gateway only.
    const page = await fetch(`${gw.url}/dashboard/keys`, { headers: { cookie: cookie! } });
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)('dashboard sessions on two replicas sharing Redis', () => {
  it('a logout on one replica ends the session on the other within seconds', async () => {
    const store = ownRedisDatabase(REDIS_URL!, 'dashboardSessionsOnTwoReplicas');
    const replica = () => startGateway({ store, server: { adminKey: ADMIN_KEY }, providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [dashboard()] });
    const [one, two] = [await replica(), await replica()];
    running.push(one, two);
    const { cookie, csrf } = await logInWithFetch(one.url, ADMIN_KEY);
    // The cookie is signed with the admin key: the other replica takes it.
    expect((await fetch(`${two.url}/admin/config`, { headers: { cookie: cookie! } })).status).toBe(200);
    expect((await fetch(`${one.url}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: form(cookie!), body: new URLSearchParams({ _csrf: csrf! }) })).status).toBe(303);
    await expect.poll(async () => (await fetch(`${two.url}/admin/config`, { headers: { cookie: cookie! } })).status, { timeout: 10_000, interval: 250 }).toBe(401);
  });
});
