/**
 * `GET /v1/cache/stats` (a gateway key: that key's own view; on a gateway without keys, the whole
 * view), `GET /admin/cache/stats` (the admin key: the whole view, or one key's with `?key=`) and
 * `DELETE /v1/cache` (the admin key: everything, or only `?model=`, `?key=`, `?olderThanSeconds=`).
 */
import { invalidRequest, type PluginHost } from 'llm-gateway/plugin';
import { authenticatedKey } from 'llm-gateway/plugins/auth';
import type { CacheAdmin } from './admin.js';
import type { ClearFilter } from './entries.js';

export function addCacheRoutes(host: PluginHost, admin: CacheAdmin): void {
  host.route({
    method: 'GET',
    path: '/v1/cache/stats',
    access: 'key',
    handler: async (http) => {
      const key = authenticatedKey(http);
      http.body = await admin.stats(key ? { keyId: key.id } : {});
    },
  });

  host.route({
    method: 'GET',
    path: '/admin/cache/stats',
    access: 'admin',
    handler: async (http) => {
      const keyId = single(http.query.key, 'key');
      http.body = await admin.stats(keyId ? { keyId } : {});
    },
  });

  host.route({
    method: 'DELETE',
    path: '/v1/cache',
    access: 'admin',
    handler: async (http) => {
      const filter: ClearFilter = {};
      const model = single(http.query.model, 'model');
      const keyId = single(http.query.key, 'key');
      const age = single(http.query.olderThanSeconds, 'olderThanSeconds');
      if (model) filter.model = model;
      if (keyId) filter.keyId = keyId;
      if (age !== undefined) {
        if (!/^\d{1,10}$/.test(age)) throw invalidRequest('olderThanSeconds must be a whole number of seconds.', 'olderThanSeconds');
        filter.olderThanSeconds = Number(age);
      }
      http.body = { object: 'cache.cleared', deleted: await admin.clear(filter), filter };
    },
  });
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw invalidRequest(`${name} may be given once.`, name);
  return value === '' ? undefined : value;
}
