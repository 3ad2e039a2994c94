/**
 * `/admin/keys`: create (the secret is in this answer only), list, show with what it has spent,
 * and revoke. The door (the auth plugin's gate) has already checked the admin key.
 */
import { type PluginHost, notFound, readJsonBody } from 'llm-gateway/plugin';
import { budgetWindows, spent } from './budget.js';
import { parseNewKey } from './key-spec.js';
import type { KeyStore } from './keys.js';
import { windowCount } from './limits.js';

export function addKeyRoutes(host: PluginHost, keys: KeyStore): void {
  const { store } = host;
  host.route({
    method: 'POST',
    path: '/admin/keys',
    handler: async (http) => {
      const spec = parseNewKey(await readJsonBody(http.req, 1024 * 1024));
      const { key, secret } = await keys.create(spec);
      http.status = 201;
      http.body = { ...key, secret };
    },
  });
  host.route({
    method: 'GET',
    path: '/admin/keys',
    handler: async (http) => {
      http.body = { object: 'list', data: await keys.list() };
    },
  });
  host.route({
    method: 'GET',
    path: '/admin/keys/:id',
    handler: async (http) => {
      const key = await keys.get(String(http.params.id));
      if (!key) throw notFound(`No key '${String(http.params.id)}'.`, 'key_not_found');
      const [spentUsd, rpm, tpm] = await Promise.all([
        spent(store.counters, budgetWindows(key.id, key.budget)),
        windowCount(store.counters, `rpm:${key.id}`),
        windowCount(store.counters, `tpm:${key.id}`),
      ]);
      http.body = { ...key, usage: { spentUsd, lastMinute: { requests: Math.round(rpm), tokens: Math.round(tpm) } } };
    },
  });
  host.route({
    method: 'DELETE',
    path: '/admin/keys/:id',
    handler: async (http) => {
      const key = await keys.revoke(String(http.params.id));
      if (!key) throw notFound(`No key '${String(http.params.id)}'.`, 'key_not_found');
      http.body = key;
    },
  });
}
