/**
 * Route access through real sockets: public routes are open, key routes ask the authorizers, and
 * admin routes are shut (403 admin_disabled) when no plugin checks the admin key at all, so a
 * gateway without auth or dashboard never serves logs, keys or live config to whoever reaches it.
 */
import { afterEach, expect, it } from 'vitest';
import { GatewayError, definePlugin, type Access } from '../../../sdk/plugin.js';
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
      if (http.get('authorization') !== 'Bearer letmein') throw new GatewayError('authentication', 'no', { code: 'nope' });
    },
  }),
});

let gw: RunningGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
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

it('with an authorizer: it decides for key and admin routes, never for public ones', async () => {
  gw = await startGateway({ providers: { demo: { type: 'demo' } }, plugins: [routes(), doorman()] });
  expect(await status('/probe-public')).toBe(200);
  expect(await status('/probe-key')).toBe(401);
  expect(await status('/admin/probe-admin')).toBe(401);
  expect(await status('/probe-key', { authorization: 'Bearer letmein' })).toBe(200);
  expect(await status('/admin/probe-admin', { authorization: 'Bearer letmein' })).toBe(200);
});
