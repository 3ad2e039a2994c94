/**
 * Dashboard sessions (signed, expiring, CSRF bound to the session) and the login limiter (bounded
 * in this process, shared where the store is), on explicit clocks.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import type { Counters } from '../../../sdk/store.js';
import { LoginLimiter, Sessions, clientOf, loginAttempts } from '../../../plugins/dashboard/index.js';

describe('dashboard sessions', () => {
  it('verifies what it issued until it expires, and nothing forged or signed with another admin key', () => {
    let now = 1_000_000;
    const sessions = new Sessions('the-admin-key-0123456789', 60_000, () => now);
    const { value, session } = sessions.issue();
    expect(sessions.verify(value)).toEqual(session);
    const [payload, signature] = value.split('.');
    const forged = Buffer.from(JSON.stringify([session.id, session.expiresAt + 3_600_000])).toString('base64url');
    expect(sessions.verify(`${forged}.${signature}`)).toBeUndefined();
    expect(sessions.verify(`${payload}.${signature}x`)).toBeUndefined();
    expect(sessions.verify(`${payload}`)).toBeUndefined();
    expect(new Sessions('another-admin-key-0123456789', 60_000, () => now).verify(value)).toBeUndefined();
    now += 59_999;
    expect(sessions.verify(value)).toEqual(session);
    now += 1;
    expect(sessions.verify(value)).toBeUndefined();
  });

  it('binds the CSRF token to the session', () => {
    const sessions = new Sessions('the-admin-key-0123456789', 60_000);
    const one = sessions.issue().session;
    const two = sessions.issue().session;
    expect(sessions.checkCsrf(one, sessions.csrfToken(one))).toBe(true);
    expect(sessions.checkCsrf(one, sessions.csrfToken(two))).toBe(false);
    expect(sessions.checkCsrf(one, undefined)).toBe(false);
    expect(sessions.checkCsrf(one, '')).toBe(false);
  });
});

describe('the login limiter', () => {
  it('blocks an address after its failures until the window ends', () => {
    let now = 0;
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 2; i++) limiter.failed('1.2.3.4');
    expect(limiter.blockedFor('1.2.3.4')).toBe(0);
    limiter.failed('1.2.3.4');
    expect(limiter.blockedFor('1.2.3.4')).toBe(60);
    expect(limiter.blockedFor('5.6.7.8')).toBe(0);
    now = 59_000;
    expect(limiter.blockedFor('1.2.3.4')).toBe(1);
    now = 60_000;
    expect(limiter.blockedFor('1.2.3.4')).toBe(0);
    limiter.failed('5.6.7.8');
    limiter.succeeded('5.6.7.8');
    expect(limiter.size).toBe(0);
  });

  it("takes back a right key's own attempt, and no other client's failure (one client can be many people)", async () => {
    for (const counters of [new MemoryCounters(), sharedOf(new MemoryCounters())]) {
      const limiter = loginAttempts(counters, { maxFailures: 3, windowMs: 60_000 });
      // An attacker behind the same NAT as an operator: two failures, then the operator's login.
      expect(await limiter.attempt('203.0.113.7')).toBe(0);
      expect(await limiter.attempt('203.0.113.7')).toBe(0);
      expect(await limiter.attempt('203.0.113.7')).toBe(0);
      await limiter.succeeded('203.0.113.7');
      // One attempt is left in the window, not three: the success did not wipe the failures.
      expect(await limiter.attempt('203.0.113.7')).toBe(0);
      expect(await limiter.blockedFor('203.0.113.7')).toBe(60);
      expect(await limiter.attempt('203.0.113.7')).toBe(60);
    }
  });

  it('stays bounded however many addresses fail', () => {
    const limiter = new LoginLimiter({ maxFailures: 1, windowMs: 60_000, maxEntries: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i++) limiter.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // The newest are kept (the oldest went first).
    expect(limiter.blockedFor('10.0.39.15')).toBe(60);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped address as the IPv4 one', () => {
    expect(clientOf('203.0.113.9')).toBe('203.0.113.9');
    expect(clientOf('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientOf('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(clientOf('2001:db8:0:1::dddd')).toBe('2001:db8:0:1::/64');
    expect(clientOf('2001:0DB8:0000:0001::1')).toBe('2001:db8:0:1::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('2001:db8:0:2::1')).toBe('2001:db8:0:2::/64');
    expect(clientOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('unknown')).toBe('unknown');
    // IPv4 clients written as IPv6, in every spelling, are their IPv4 address (not all of one /64).
    for (const spelling of ['::ffff:198.51.100.1', '::FFFF:c633:6401', '0:0:0:0:0:ffff:198.51.100.1', '0:0:0:0:0:ffff:c633:6401', '64:ff9b::198.51.100.1', '64:ff9b::c633:6401']) {
      expect(clientOf(spelling), spelling).toBe('198.51.100.1');
    }
    expect(clientOf('::ffff:0:198.51.100.1')).toBe('0:0:0:0::/64');
    expect(clientOf('2001:db8:1:2:3:4:198.51.100.1')).toBe('2001:db8:1:2::/64');
  });

  it('blocks every address of one IPv6 /64 together, and no other /64', async () => {
    const limiter = loginAttempts(new MemoryCounters(), { maxFailures: 2, windowMs: 60_000 });
    await limiter.attempt('2001:db8:0:1::a');
    await limiter.attempt('2001:db8:0:1::b');
    expect(await limiter.blockedFor('2001:db8:0:1:ffff::c')).toBe(60);
    expect(await limiter.blockedFor('2001:db8:0:2::a')).toBe(0);
  });

  it('counts attempts sent at once one by one, so only the allowed number are compared', async () => {
    for (const counters of [new MemoryCounters(), sharedOf(new MemoryCounters())]) {
      const limiter = loginAttempts(counters, { maxFailures: 3, windowMs: 60_000 });
      const waits = await Promise.all(Array.from({ length: 20 }, () => limiter.attempt('203.0.113.7')));
      expect(waits.filter((wait) => wait === 0)).toHaveLength(3);
      expect(waits.filter((wait) => wait === 60)).toHaveLength(17);
    }
  });

  it('where the store is shared, counts every replica\'s failures for a client together, in the store, for the window', async () => {
    let now = 0;
    const store = new MemoryCounters(() => now);
    const shared = sharedOf(store);
    const options = { maxFailures: 3, windowMs: 60_000 };
    const [one, two] = [loginAttempts(shared, options), loginAttempts(shared, options)];
    await one.attempt('198.51.100.1');
    await two.attempt('198.51.100.1');
    expect(await one.blockedFor('198.51.100.1')).toBe(0);
    await two.attempt('::ffff:198.51.100.1');
    expect(await one.blockedFor('198.51.100.1')).toBe(60);
    expect(await two.blockedFor('198.51.100.1')).toBe(60);
    expect(await two.blockedFor('198.51.100.2')).toBe(0);
    now = 59_500;
    expect(await one.blockedFor('198.51.100.1')).toBe(1);
    now = 60_000;
    expect(await one.blockedFor('198.51.100.1')).toBe(0);
    await one.attempt('198.51.100.2');
    await one.attempt('198.51.100.2');
    await two.succeeded('198.51.100.2');
    expect(await store.get('dashboard:login-failures:198.51.100.2')).toBe(1);
  });
});

/** The counters of a shared store (Redis) answer only asynchronously: no `local`. */
function sharedOf(store: MemoryCounters): Counters {
  return { add: (key, by, ttlMs) => store.add(key, by, ttlMs), get: (k) => store.get(k), next: (k) => store.next(k), ttl: (k) => store.ttl(k), delete: (k) => store.delete(k), takeFromBucket: (...a) => store.takeFromBucket(...a), close: () => store.close() };
}

describe('the shared login limiter when the store does not answer', () => {
  it('counts alone in its bounded map, and queues nothing for the store', async () => {
    const store = new MemoryCounters();
    const adds: unknown[] = [];
    const down: Counters = {
      ...sharedOf(store),
      add: async (key, by, ttlMs, options) => {
        adds.push(options);
        throw new Error('the store does not answer');
      },
    };
    const limiter = loginAttempts(down, { maxFailures: 2, windowMs: 60_000 });
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await limiter.attempt('203.0.113.9'));
    expect(waits).toEqual([0, 0, 60, 60]);
    expect(await limiter.blockedFor('203.0.113.9')).toBe(60);
    expect(await limiter.blockedFor('203.0.113.10')).toBe(0);
    // Every add was exact: one the store cannot take is refused, not kept to be moved later.
    expect(adds).toEqual(Array(4).fill({ exact: true }));
  });
});
