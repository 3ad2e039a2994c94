/**
 * The kernel's own routes besides chat: liveness, readiness and the model list.
 */
import type Router from '@koa/router';
import type { ResolvedConfig } from '../config/resolve-config.js';
import { notFound } from '../errors.js';
import type { ModelCatalog } from '../providers/catalog.js';

export function addSystemRoutes(router: Router, catalog: ModelCatalog, config: ResolvedConfig): void {
  /** Liveness: the process answers. */
  router.get('/health', (koa) => {
    koa.body = { status: 'ok' };
  });

  /** Readiness: every provider has answered its first model listing (well or badly). */
  router.get('/ready', (koa) => {
    const providers = catalog.status().map((l) => ({ id: l.provider, status: l.status, models: l.models.length, ...(l.error ? { error: l.error } : {}) }));
    const ready = catalog.isSettled();
    koa.status = ready ? 200 : 503;
    koa.body = { status: ready ? 'ready' : 'starting', providers };
  });

  router.get('/v1/models', (koa) => {
    koa.body = { object: 'list', data: catalog.list(config.models) };
  });

  // Model ids contain slashes (`groq/llama-3.3-70b-versatile`), hence the wildcard.
  router.get('/v1/models/*model', (koa) => {
    const param = koa.params.model as string | string[];
    const id = Array.isArray(param) ? param.join('/') : param;
    const model = catalog.list(config.models).find((m) => m.id === id);
    if (!model) throw notFound(`The model '${id}' does not exist; GET /v1/models lists them.`, 'model_not_found', 'model');
    koa.body = model;
  });
}
