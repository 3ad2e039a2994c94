/**
 * Route access through real sockets: public routes are open, key routes ask the authorizers, and
 * admin routes need the kernel's admin key (server.adminKey, LLM_GATEWAY_ADMIN_KEY): a wrong or
 * missing key is a 401, and without one configured they are shut (403 admin_disabled), so a
 * gateway without an admin key never serves logs, keys or live config to whoever reaches it.
 * Plugins' old `adminKey` options set the same key; a gate may vouch instead (`grantAdmin`).
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { GatewayError, definePlugin, grantAdmin, type Access } from '../../../sdk/plugin.js';
import { createGateway } from '../../../core/gateway.js';
import { silentLogger } from '../../../core/logger.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';

const routes = definePlugin<Record<string, never>, Record<string, never>>({
  name: 'test:routes',
  defaults: {},
  setup(host) {
    for (const access of ['public', 'key', 'admin'] as Access[]) host.route({ method: 'GET', path: `/${access === 'admin' ? 'admin/' : ''}probe-${access}`, access, handler: (http) => void (http.body = { access }) });
  },
});

const doorman = definePlugin<Record<string, never>, Record<string, never>>({
  name: 'test:doorman',
  defaults: {},
  setup: () => ({
    authorize: async (http) => {
      if (http.get('x-letmein') !== 'yes') throw new GatewayError('authentication', 'no', { code: 'nope' });
    },
  }),
});

/** Vouches for requests carrying `x-operator` (as the dashboard does for a session). */
const badge = definePlugin<Record<string, never>, Record<string, never>>({
  name: 'test:badge',
  defaults: {},
  setup: () => ({
    gate: async (http, next) => {
      if (http.get('x-operator')) grantAdmin(http, http.get('x-operator'));
      await next();
    },
  }),
});

/** A plugin with the deprecated option that sets the admin key (as `auth({ adminKey })` has). */
const legacy = definePlugin<{ adminKey?: string }, Record<string, never>>({ name: 'test:legacy', adminKeyOption: 'adminKey', secretOptions: ['adminKey'], defaults: {} });

const ADMIN_KEY = 'kernel-admin-key-0123456789';
const saved = process.env.LLM_GATEWAY_ADMIN_KEY;
beforeAll(() => void delete process.env.LLM_GATEWAY_ADMIN_KEY);
afterAll(() => void (saved === undefined ? delete process.env.LLM_GATEWAY_ADMIN_KEY : (process.env.LLM_GATEWAY_ADMIN_KEY = saved)));

let gw: RunningGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  delete process.env.LLM_GATEWAY_ADMIN_KEY;
});

const status = async (path: string, headers: Record<string, string> = {}) => (await fetch(`${gw!.url}${path}`, { headers })).status;

it('without any authorizer: public and key routes open, admin routes 403 admin_disabled', async () => {
  gw = await startGateway({ providers: { demo: { type: 'demo' } }, plugins: [routes()] });
  expect(await status('/probe-public')).toBe(200);
  expect(await status('/probe-key')).toBe(200);
  const admin = await fetch(`${gw.url}/admin/probe-admin`);
  expect(admin.status).toBe(403);
  expect(await admin.json()).toMatchObject({ error: { code: 'admin_disabled' } });
});

it('with an authorizer: it decides for key routes, and may refuse more on admin routes, never on public ones', async () => {
  gw = await startGateway({ server: { adminKey: ADMIN_KEY }, providers: { demo: { type: 'demo' } }, plugins: [routes(), doorman()] });
  expect(await status('/probe-public')).toBe(200);
  expect(await status('/probe-key')).toBe(401);
  expect(await status('/probe-key', { 'x-letmein': 'yes' })).toBe(200);
  // Admin routes: the kernel's admin key first, then the authorizer too.
  expect(await status('/admin/probe-admin', { 'x-letmein': 'yes' })).toBe(401);
  expect(await status('/admin/probe-admin', { authorization: `Bearer ${ADMIN_KEY}` })).toBe(401);
  expect(await status('/admin/probe-admin', { authorization: `Bearer ${ADMIN_KEY}`, 'x-letmein': 'yes' })).toBe(200);
});

it('an authorizer alone does not open admin routes: without an admin key they stay shut', async () => {
  gw = await startGateway({ providers: { demo: { type: 'demo' } }, plugins: [routes(), doorman()] });
  const admin = await fetch(`${gw.url}/admin/probe-admin`, { headers: { 'x-letmein': 'yes' } });
  expect(admin.status).toBe(403);
  expect(await admin.json()).toMatchObject({ error: { code: 'admin_disabled' } });
});

it('the kernel checks server.adminKey on admin routes, with no plugin: the key accepted, a wrong or missing one 401', async () => {
  gw = await startGateway({ server: { adminKey: ADMIN_KEY }, providers: { demo: { type: 'demo' } }, plugins: [routes()] });
  expect(await status('/admin/probe-admin', { authorization: `Bearer ${ADMIN_KEY}` })).toBe(200);
  expect(await status('/admin/probe-admin', { 'x-api-key': ADMIN_KEY })).toBe(200);
  for (const headers of [{}, { authorization: 'Bearer wrong-admin-key-0123456789' }, { 'x-api-key': `${ADMIN_KEY}x` }, { authorization: `Basic ${ADMIN_KEY}` }] as Record<string, string>[]) {
    const answer = await fetch(`${gw.url}/admin/probe-admin`, { headers });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: { code: 'invalid_admin_key' } });
  }
  // Key routes are not the admin key's business; public ones stay open.
  expect(await status('/probe-key')).toBe(200);
  expect(await status('/probe-public')).toBe(200);
});

it('reads the admin key from LLM_GATEWAY_ADMIN_KEY when the config sets none, and lets a gate vouch instead', async () => {
  process.env.LLM_GATEWAY_ADMIN_KEY = ADMIN_KEY;
  gw = await startGateway({ providers: { demo: { type: 'demo' } }, plugins: [routes(), badge()] });
  expect(gw.gateway.config.server.adminKey).toBe(ADMIN_KEY);
  expect(await status('/admin/probe-admin', { authorization: `Bearer ${ADMIN_KEY}` })).toBe(200);
  expect(await status('/admin/probe-admin')).toBe(401);
  expect(await status('/admin/probe-admin', { 'x-operator': 'alice' })).toBe(200);
});

it('a gate vouches even without an admin key', async () => {
  gw = await startGateway({ providers: { demo: { type: 'demo' } }, plugins: [routes(), badge()] });
  expect(await status('/admin/probe-admin')).toBe(403);
  expect(await status('/admin/probe-admin', { 'x-operator': 'alice' })).toBe(200);
});

it("a plugin's deprecated adminKey option sets the same one key, which server.adminKey and the variable do not contradict", async () => {
  process.env.LLM_GATEWAY_ADMIN_KEY = 'variable-admin-key-0123456789';
  gw = await startGateway({ providers: { demo: { type: 'demo' } }, plugins: [routes(), legacy({ adminKey: ADMIN_KEY })] });
  expect(await status('/admin/probe-admin', { authorization: `Bearer ${ADMIN_KEY}` })).toBe(200);
  expect(await status('/admin/probe-admin', { authorization: 'Bearer variable-admin-key-0123456789' })).toBe(401);
  await gw.close();
  gw = await startGateway({ server: { adminKey: ADMIN_KEY }, providers: { demo: { type: 'demo' } }, plugins: [routes(), legacy({ adminKey: ADMIN_KEY })] });
  expect(await status('/admin/probe-admin', { authorization: `Bearer ${ADMIN_KEY}` })).toBe(200);
});

it('refuses two different admin keys, and one too short, naming where they came from and never the key', async () => {
  const create = (config: Parameters<typeof createGateway>[0], env: NodeJS.ProcessEnv = {}) => createGateway({ store: 'memory', ...config }, { env, logger: silentLogger });
  const conflict = create({ server: { adminKey: ADMIN_KEY }, plugins: [legacy({ adminKey: 'another-admin-key-0123456789' })] });
  await expect(conflict).rejects.toThrow(/test:legacy's adminKey option differs from config\/server\/adminKey/);
  await expect(conflict).rejects.not.toThrow(/0123456789/);
  await expect(create({ plugins: [legacy({ adminKey: ADMIN_KEY }), { ...legacy({ adminKey: `${ADMIN_KEY}-2` }), name: 'test:legacy-2' }] })).rejects.toThrow(/test:legacy-2's adminKey option differs from test:legacy's adminKey option/);
  await expect(create({}, { LLM_GATEWAY_ADMIN_KEY: 'short' })).rejects.toThrow(/LLM_GATEWAY_ADMIN_KEY \(the admin key\) must be at least 16 characters long \(found 5\)/);
  await expect(create({ server: { adminKey: 'short' } })).rejects.toThrow(/config\/server\/adminKey must be at least 16 characters long \(found "\*\*\*"\)/);
  const empty = await create({}, { LLM_GATEWAY_ADMIN_KEY: '' });
  expect(empty.config.server.adminKey).toBeUndefined();
  await empty.close();
});

it('reads server.adminKey from the variable an { env } reference names, and says so when it is unset or short', async () => {
  const create = (env: NodeJS.ProcessEnv) => createGateway({ store: 'memory', server: { adminKey: { env: 'OPS_ADMIN_KEY' } } }, { env, logger: silentLogger });
  const gateway = await create({ OPS_ADMIN_KEY: ADMIN_KEY });
  expect(gateway.config.server.adminKey).toBe(ADMIN_KEY);
  await gateway.close();
  await expect(create({})).rejects.toThrow(/config\/server\/adminKey reads environment variable OPS_ADMIN_KEY, which is not set/);
  await expect(create({ OPS_ADMIN_KEY: 'short' })).rejects.toThrow(/config\/server\/adminKey \(variable OPS_ADMIN_KEY\) \(the admin key\) must be at least 16 characters long \(found 5\)/);
  await expect(create({ OPS_ADMIN_KEY: 'short' })).rejects.not.toThrow(/short/);
});
