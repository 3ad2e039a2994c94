/**
 * Found by a review of 505aeff (it failed before its fix): (a stored live override that breaks the config's rules is left out, not
 * fatal). `servableOverrides` holds each stored entry to the config file's generic schema only
 * (core/config/schema.ts: a provider entry is `type`, `enabled`, `models`, `unsupportedParams`,
 * anything else allowed). A provider's own options are checked by its type's schema, in
 * ProviderRegistry.build, after the overrides were let through: a stored provider override that an
 * older build took and whose type's rules are stricter now (an option since removed or
 * tightened) still throws "invalid provider config" from createGateway, so the gateway refuses to
 * start on that store, the case docs/deployment.md ("Upgrading") says is left out and logged.
 */
import { afterEach, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../index.js';
import { silentLogger } from '../../core/logger.js';
import { openStore, type Store } from '../../core/store/store.js';

let store: Store | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  await store?.close();
  gateway = undefined;
  store = undefined;
});

it('a stored provider override whose type refuses an option is left out, and the gateway starts', async () => {
  store = await openStore('memory', silentLogger);
  // What an older build stored for PUT /admin/config/providers/extra (an option the demo type refuses).
  await store.kv('live-config').set('overrides', { providers: { extra: { type: 'demo', latencyMs: -5 } }, models: {} });
  let failure: string | undefined;
  try {
    gateway = await createGateway({ providers: { demo: { type: 'demo' } }, plugins: [] }, { store, logger: silentLogger });
  } catch (error) {
    failure = (error as Error).message + ' ' + String((error as { problems?: string[] }).problems ?? '');
  }
  // Found: "invalid provider config config/providers/extra/latencyMs must be >= 0".
  expect(failure).toBeUndefined();
  expect(gateway!.config.providers.some((p) => p.id === 'demo')).toBe(true);
});
