/**
 * Upgrades: a revocation made by a current replica, undone by an update from a replica of
 * a build before revocation marks (d8d5f7b, 2026-12-05), during a rolling upgrade on one Redis.
 *
 * docs/development.md says "A revocation is marked apart from the key's record (`revoked:<id>`
 * ...), so no update on any replica undoes it ... The revocation mark stays for replicas of an
 * earlier version, which take no lease, during a rolling upgrade." But a build before d8d5f7b
 * (every build up to 2026-12-04, e.g. fd255f7) knows nothing of the mark: its `update` reads the
 * key, changes it and writes it back (below, copied from fd255f7's plugins/auth/keys.ts), and the
 * current `find` (the lookup every request makes) reads only the record, never the mark. The test
 * in test/plugins/auth/key-changes.test.ts plays the "earlier version" with the current `update`,
 * which looks for the mark after its write; a real earlier version does not. Before its fix the
 * key worked again. Now `find` and `get` read the mark beside the record (plugins/auth/keys.ts,
 * `withMark`).
 */
import { expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { openStore } from '../../core/store/store.js';
import { KeyStore, keyStateOf, type GatewayKey, type KeyPatch, type KeyRecords } from '../../plugins/auth/keys.js';
import type { TypedKv } from '../../core/store/store.js';

/** fd255f7's KeyStore.update, split where its read and its write reach the store. */
async function oldUpdateRead(kv: TypedKv<KeyRecords>, id: string): Promise<GatewayKey | undefined> {
  return kv.get(`id:${id}`);
}
async function oldUpdateWrite(kv: TypedKv<KeyRecords>, id: string, key: GatewayKey, patch: KeyPatch): Promise<void> {
  const next: GatewayKey = { ...key };
  for (const [field, value] of Object.entries(patch) as Array<[keyof KeyPatch, unknown]>) {
    if (value === null) delete next[field];
    else if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
  }
  await kv.set(`id:${id}`, next);
}

it('a key revoked on a new replica stays refused after an old replica (before revocation marks) wrote back an update it read before', async () => {
  const store = await openStore('memory', silentLogger);
  try {
    const kv = store.kv<KeyRecords>('keys');
    const newReplica = new KeyStore(keyStateOf(store), 0);
    const { key, secret } = await newReplica.create({ name: 'leaked' });

    // The old replica's PATCH (e.g. a script renaming the key) reads the key ...
    const read = await oldUpdateRead(kv, key.id);
    // ... an admin revokes the leaked key through a new replica (mark, then record) ...
    await newReplica.revoke(key.id);
    // ... and the old replica's write lands after it.
    await oldUpdateWrite(kv, key.id, read!, { name: 'leaked (renamed)' });

    // The mark is still in the store ...
    expect(await kv.get(`revoked:${key.id}`)).toBeDefined();
    // ... but the new replica's request path accepts the key again.
    const found = await newReplica.find(secret);
    expect(found?.revokedAt).toBeDefined();
    expect((await newReplica.get(key.id))?.status).toBe('revoked');
  } finally {
    await store.close();
  }
});
