/**
 * A probe slot taken just as another replica closes the circuit does not keep the next opening's
 * half-open period from letting a probe through. Needs REDIS_URL.
 *
 * Before its fix: replica B read the circuit as half-open and its probe-slot add came a round trip
 * later, after A's probe had succeeded and A had closed the circuit (deleting `probes`). B's add
 * created `probes` = 1 with a two-minute expiry, and B's success, finding the circuit closed, gave
 * nothing back. When the deployment failed again and the cooldown ended, the first request found
 * two probes counted against one allowed, and every request was refused until the stale slot
 * expired, up to two minutes past the cooldown. Probe slots are now counted per opening
 * (`probes:<opening>`, plugins/circuit-breaker/circuit.ts), so a slot taken late is left in a
 * period nobody probes again.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import type { AddOptions, Counters } from '../../../core/store/counters.js';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { Circuit } from '../../../plugins/circuit-breaker/circuit.js';

const REDIS_URL = process.env.REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const options = { failureThreshold: 1, windowMs: 60_000, cooldownMs: 300, halfOpenProbes: 1 };

/** B's counters with its next `+1` on a probes key held until `open()`: the latency of one round trip. */
function gated(inner: Counters) {
  let gate: { reached: () => void; opened: Promise<void> } | undefined;
  let reached!: Promise<void>;
  let release!: () => void;
  const counters: Counters = {
    add: async (key: string, by: number, ttlMs?: number, opts?: AddOptions) => {
      if (gate && /:probes(:\d+)?$/.test(key) && by === 1) {
        const { reached: arrive, opened } = gate;
        gate = undefined;
        arrive();
        await opened;
      }
      return inner.add(key, by, ttlMs, opts);
    },
    get: (key) => inner.get(key),
    next: (key) => inner.next(key),
    ttl: (key) => inner.ttl(key),
    delete: (key) => inner.delete(key),
    takeFromBucket: (...args) => inner.takeFromBucket(...args),
    close: () => inner.close(),
  };
  return {
    counters,
    arm() {
      const opened = new Promise<void>((resolve) => (release = resolve));
      reached = new Promise<void>((resolve) => (gate = { reached: resolve, opened }));
    },
    reached: () => reached,
    open: () => release(),
  };
}

describe.skipIf(!REDIS_URL)('a probe admitted as another replica closes the circuit', () => {
  const prefix = `test:probe-across-close:${process.pid}:${Date.now().toString(36)}:`;
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  it('does not keep the next half-open period from letting a probe through', async () => {
    const admin = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
    closers.push(async () => {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(keys);
      await admin.quit();
    });
    const replica = async () => {
      const client = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
      const counters = new BoundedCounters(new RedisCounters(client, prefix), silentLogger, 1000);
      closers.push(async () => client.quit(), () => counters.close());
      return counters;
    };
    const a = new Circuit('p/m', options, await replica(), () => undefined);
    const gateB = gated(await replica());
    const b = new Circuit('p/m', options, gateB.counters, () => undefined);

    // Open, cooldown over: half-open. A's probe P1 goes through.
    await a.failed(Date.now());
    await sleep(options.cooldownMs + 100);
    const p1 = await a.admit();
    expect(p1).toEqual({ allowed: true, probe: expect.any(Number) });

    // B reads the circuit as half-open; its probe-slot add is one round trip behind.
    gateB.arm();
    const admittingOnB = b.admit();
    await gateB.reached();
    // P1 succeeds: A closes the circuit.
    await a.succeeded(p1.allowed ? p1.probe : false);
    expect(await a.state()).toBe('closed');
    // B's add lands after the close; B's request goes, and succeeds.
    gateB.open();
    const onB = await admittingOnB;
    if (onB.allowed) await b.succeeded(onB.probe);

    // Later the deployment fails again: the circuit opens, its cooldown ends.
    await a.failed(Date.now());
    expect(await a.state()).toBe('open');
    await sleep(options.cooldownMs + 100);
    expect(await a.state()).toBe('half_open');
    // No probe is out in this half-open period: the first request must be let through as one.
    expect(await a.admit()).toEqual({ allowed: true, probe: expect.any(Number) });
  });
});
