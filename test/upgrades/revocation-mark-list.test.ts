/**
 * Found by a review of 5eb9405 (it failed before its fix): (find and get read the revocation mark). The same rolling-upgrade case as
 * test/upgrades/revocation-rolling-upgrade.test.ts: an older replica writes back an update read
 * before a revocation. `find` now refuses the key and `get` says "revoked", but `list` (GET
 * /admin/keys, the dashboard's Keys page, `llm-gateway keys list`) still reads the bare records and
 * shows the key as active: the operator who just revoked a leaked key sees it listed as working.
 */
import { expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { openStore } from '../../core/store/store.js';
import { KeyStore, keyStateOf, type KeyRecords } from '../../plugins/auth/keys.js';

it('a key whose revocation mark says revoked is listed as revoked, as get says', async () => {
  const store = await openStore('memory', silentLogger);
  try {
    const kv = store.kv<KeyRecords>('keys');
    const keys = new KeyStore(keyStateOf(store), 0);
    const { key } = await keys.create({ name: 'leaked' });
    const read = await kv.get(`id:${key.id}`); // an older replica's update reads the key ...
    await keys.revoke(key.id); // ... it is revoked on a new replica ...
    await kv.set(`id:${key.id}`, { ...read!, name: 'renamed' }); // ... and the old write lands after.

    expect((await keys.get(key.id))?.status).toBe('revoked');
    const listed = (await keys.list()).find((k) => k.id === key.id);
    // Found: 'active'.
    expect(listed?.status).toBe('revoked');
  } finally {
    await store.close();
  }
});
