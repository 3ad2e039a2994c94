/**
 * Config: the effective providers and virtual models, each marked as from the file, a live
 * override or removed by one, secrets masked, an override revertible here; and the audit trail
 * of live changes (who, what, when, before → after, already masked when recorded).
 */
import type { Context as KoaContext } from 'koa';
import { maskUrlPasswords } from 'llm-gateway/plugin';
import { effectiveView } from '../config-api.js';
import type { PageKit } from '../kit.js';

export function configPages(kit: PageKit) {
  const { host } = kit;
  return {
    async view(http: KoaContext) {
      const { providers, models } = await effectiveView(host.live);
      const audit = await host.live.audit(50);
      const json = (v: unknown) => (v === undefined || v === null ? '—' : JSON.stringify(v, null, 2));
      await kit.page(http, 'config', {
        title: 'Config',
        active: 'config',
        sections: [
          { kind: 'providers', title: 'Providers', entries: providers.map((e) => ({ ...e, json: json(e.value), fileJson: 'file' in e ? json(e.file) : undefined })) },
          { kind: 'models', title: 'Virtual models', entries: models.map((e) => ({ ...e, json: json(e.value), fileJson: 'file' in e ? json(e.file) : undefined })) },
        ],
        audit: audit.map((a) => ({ ...a, before: json(a.before), after: json(a.after) })),
        server: { host: host.config.server.host, port: host.config.server.port, store: maskUrlPasswords(host.config.store) },
        plugins: [],
      });
    },
  };
}
