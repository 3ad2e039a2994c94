/**
 * The key cache is keyed by whatever bearer token a client sends, so it is bounded: secrets that
 * match no key are remembered briefly and only so many of them; verified keys up to a cap. On an
 * explicit clock, with a store that counts how often it is asked.
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_KEYS_CAP, KeyStore, UNKNOWN_KEYS_CAP, UNKNOWN_KEY_TTL_MS, type KeyRecords } from '../../../plugins/auth/keys.js';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import { exclusively, LocalLeases } from '../../../core/store/exclusive.js';
import type { TypedKv } from '../../../sdk/store.js';

function countingKv() {
  const data = new Map<string, unknown>();
  const counter = { gets: 0 };
  const kv: TypedKv<KeyRecords> = {
    get: async (key) => (counter.gets++, data.get(key) as never),
    set: async (key, value) => (data.set(key, value), true),
    delete: async (key) => data.delete(key),
    deleteMany: async (keys) => keys.map((key) => data.delete(key)).some(Boolean),
  };
  return { kv, counter };
}

function keyStore(cacheTtlMs = 5000) {
  const leases = new LocalLeases();
  const clock = { now: 1_000_000 };
  const { kv, counter } = countingKv();
  return { keys: new KeyStore({ kv, counters: new MemoryCounters(), exclusive: (name, work) => exclusively(leases, name, work) }, cacheTtlMs, () => clock.now), clock, counter };
}

describe('the key cache', () => {
  it('looks a secret up once for all the requests that bring it at the same time', async () => {
    const { keys, counter } = keyStore();
    const { secret } = await keys.create({ name: 'burst' });
    const asked = counter.gets;
    const found = await Promise.all(Array.from({ length: 50 }, () => keys.find(secret)));
    expect(found.every((key) => key?.name === 'burst')).toBe(true);
    expect(counter.gets).toBe(asked + 3); // its id by hash, then the key and its revocation mark by id
    // An unknown secret too.
    await Promise.all(Array.from({ length: 50 }, () => keys.find('sk-gw-nobody-at-once')));
    expect(counter.gets).toBe(asked + 4);
  });

  it('remembers an unknown secret for at most a second, however long verified keys are cached', async () => {
    const { keys, clock, counter } = keyStore(60_000);
    expect(await keys.find('sk-gw-nobody')).toBeUndefined();
    const asked = counter.gets;
    expect(await keys.find('sk-gw-nobody')).toBeUndefined();
    expect(counter.gets).toBe(asked); // answered from the cache
    clock.now += UNKNOWN_KEY_TTL_MS + 1;
    expect(await keys.find('sk-gw-nobody')).toBeUndefined();
    expect(counter.gets).toBe(asked + 1); // forgotten: asked again
  });

  it(`keeps at most ${UNKNOWN_KEYS_CAP} unknown secrets, the least recently seen dropped first`, async () => {
    const { keys, counter } = keyStore();
    for (let i = 0; i < 5 * UNKNOWN_KEYS_CAP; i++) await keys.find(`sk-gw-guess-${i}`);
    expect(keys.cached.unknown).toBe(UNKNOWN_KEYS_CAP);
    const asked = counter.gets;
    await keys.find(`sk-gw-guess-${5 * UNKNOWN_KEYS_CAP - 1}`); // recent: still cached
    expect(counter.gets).toBe(asked);
    await keys.find('sk-gw-guess-0'); // long dropped: asked again
    expect(counter.gets).toBe(asked + 1);
  });

  it('keeps a verified key for its TTL, and unknown secrets never push verified keys out', async () => {
    const { keys, clock, counter } = keyStore(5000);
    const { secret } = await keys.create({ name: 'real' });
    expect((await keys.find(secret))?.name).toBe('real');
    for (let i = 0; i < 2 * UNKNOWN_KEYS_CAP; i++) await keys.find(`sk-gw-guess-${i}`);
    const asked = counter.gets;
    clock.now += 4000;
    expect((await keys.find(secret))?.name).toBe('real');
    expect(counter.gets).toBe(asked);
    expect(keys.cached).toEqual({ known: 1, unknown: UNKNOWN_KEYS_CAP });
    expect(KNOWN_KEYS_CAP).toBeGreaterThanOrEqual(UNKNOWN_KEYS_CAP);
  });
});

describe('a rotated key in the cache', () => {
  it("caches an old secret in its grace no longer than the grace, however long keys are cached", async () => {
    const { keys, clock } = keyStore(60_000);
    const { key, secret } = await keys.create({ name: 'rotating' });
    const rotated = (await keys.rotate(key.id, 10))!;
    expect((await keys.find(secret))?.id).toBe(key.id);
    expect((await keys.find(rotated.secret))?.id).toBe(key.id);
    clock.now += 10_001;
    expect(await keys.find(secret)).toBeUndefined();
    expect((await keys.find(rotated.secret))?.id).toBe(key.id);
  });

  it('applies a revocation and an update to the old secret in its grace at once, cached or not', async () => {
    const { keys } = keyStore(60_000);
    const { key, secret } = await keys.create({ name: 'graced' });
    await keys.rotate(key.id, 3600);
    expect((await keys.find(secret))?.models).toBeUndefined();
    await keys.update(key.id, { models: ['a/*'] });
    expect((await keys.find(secret))?.models).toEqual(['a/*']);
    await keys.revoke(key.id);
    expect(keys.status((await keys.find(secret))!)).toBe('revoked');
  });

  it('forgets the secret it replaced on this replica at once, cached or not', async () => {
    const { keys } = keyStore(60_000);
    const { key, secret } = await keys.create({ name: 'leaked' });
    expect((await keys.find(secret))?.id).toBe(key.id);
    await keys.rotate(key.id);
    expect(await keys.find(secret)).toBeUndefined();
  });
});

describe('a change while the key is being read', () => {
  /** A store whose reads of keys can be held, and which can stop answering. */
  function heldStore(cacheTtlMs = 60_000) {
    const data = new Map<string, unknown>();
    const control = { hold: undefined as Promise<void> | undefined, failing: false, ttls: new Map<string, number | undefined>() };
    const kv: TypedKv<KeyRecords> = {
      get: async (key) => {
        if (control.failing) throw new Error('the store does not answer');
        const value = data.get(key);
        if (key.startsWith('id:') && control.hold) await control.hold;
        return value as never;
      },
      set: async (key, value, ttlMs) => (data.set(key, value), control.ttls.set(key, ttlMs), true),
      delete: async (key) => data.delete(key),
      deleteMany: async (keys) => keys.map((key) => data.delete(key)).some(Boolean),
    };
    const leases = new LocalLeases();
    const clock = { now: 1_000_000 };
    const keys = new KeyStore({ kv, counters: new MemoryCounters(), exclusive: (name, work) => exclusively(leases, name, work) }, cacheTtlMs, () => clock.now);
    return { keys, control, clock, data };
  }

  it('does not cache what a read begun before a rotation or a revocation found', async () => {
    for (const change of ['rotate', 'revoke'] as const) {
      const { keys, control } = heldStore();
      const { key, secret } = await keys.create({ name: change });
      let release!: () => void;
      control.hold = new Promise((resolve) => (release = resolve));
      const before = keys.find(secret); // reads the key as it was
      await new Promise((resolve) => setTimeout(resolve, 5));
      control.hold = undefined;
      await (change === 'rotate' ? keys.rotate(key.id) : keys.revoke(key.id));
      release();
      expect((await before)?.id).toBe(key.id); // answered as it was read
      const after = await keys.find(secret);
      if (change === 'rotate') expect(after).toBeUndefined();
      else expect(keys.status(after!)).toBe('revoked');
    }
  });

  it('does not answer from a stale cache with an old secret whose grace has ended', async () => {
    const { keys, control, clock } = heldStore();
    const { key, secret } = await keys.create({ name: 'graced' });
    await keys.rotate(key.id, 10);
    expect((await keys.find(secret))?.id).toBe(key.id);
    clock.now += 11_000;
    control.failing = true;
    expect(await keys.find(secret)).toBeUndefined();
  });

  it("lets the old secret's entry expire with its grace, and shows `previous` only during it", async () => {
    const { keys, control, clock } = heldStore();
    const { key, secret } = await keys.create({ name: 'graced' });
    const { key: rotated } = (await keys.rotate(key.id, 10))!;
    expect(rotated.previous?.preview).toBe(`${secret.slice(0, 7)}…`);
    const { createHash } = await import('node:crypto');
    expect(control.ttls.get(`hash:${createHash('sha256').update(secret).digest('hex')}`)).toBe(10_000);
    clock.now += 11_000;
    expect((await keys.get(key.id))?.previous).toBeUndefined();
  });
});
