/**
 * A probe of an earlier half-open period acts on its own period only. Needs REDIS_URL.
 *
 * Before its fix: probe P1 was out when a request admitted before the circuit opened failed, and
 * the circuit opened again. After that cooldown replica B let P2 through. Then:
 * - P1's client left: `released()` took one off `probes` (P2's slot), and B let P3 through too,
 *   two probes at once where `halfOpenProbes` is 1;
 * - or P1 succeeded, mid-cooldown: `closeIfTripped()` closed the circuit, and when the cooldown
 *   ended it was simply closed, with no probe of the new period ever made.
 * An admission now carries the opening it probes (plugins/circuit-breaker/circuit.ts `Probe`), and
 * `released` and `succeeded` act only on that opening's slots, closing only while it is current.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { Circuit, type CircuitState, type Probe } from '../../../plugins/circuit-breaker/circuit.js';

const REDIS_URL = process.env.REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const options = { failureThreshold: 1, windowMs: 60_000, cooldownMs: 300, halfOpenProbes: 1 };

describe.skipIf(!REDIS_URL)('a probe from an earlier half-open period', () => {
  const prefix = `test:probe-period:${process.pid}:${Date.now().toString(36)}:`;
  const closers: Array<() => Promise<unknown>> = [];
  let admin: RedisClientType | undefined;
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    if (admin) {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(keys);
      await admin.quit();
    }
  });

  /** Two replicas, each with its own connection to Redis, on a deployment of the test's own. */
  async function replicas(deployment: string) {
    admin ??= (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
    const changes: string[] = [];
    const replica = async (name: string) => {
      const client = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
      const counters = new BoundedCounters(new RedisCounters(client, prefix), silentLogger, 1000);
      closers.push(async () => client.quit(), () => counters.close());
      return new Circuit(deployment, options, counters, (from: CircuitState, to: CircuitState) => void changes.push(`${name}:${from}->${to}`));
    };
    return { a: await replica('A'), b: await replica('B'), changes };
  }

  /** Opens the circuit, waits out the cooldown, and lets A's probe P1 through: its admission. */
  async function halfOpenWithProbeOnA(a: Circuit): Promise<Probe> {
    await a.failed(Date.now());
    await sleep(options.cooldownMs + 100);
    const p1 = await a.admit(); // P1
    expect(p1).toEqual({ allowed: true, probe: expect.any(Number) });
    // A request admitted before the circuit opened fails now: the circuit opens again.
    await a.failed(Date.now());
    expect(await a.state()).toBe('open');
    return p1.allowed ? p1.probe : false;
  }

  it('lets no more than halfOpenProbes probes through at once when an earlier probe is released', async () => {
    const { a, b } = await replicas('p/probes-released');
    const p1 = await halfOpenWithProbeOnA(a);
    await sleep(options.cooldownMs + 100);
    expect(await b.admit()).toEqual({ allowed: true, probe: expect.any(Number) }); // P2, the new period's one probe
    await a.released(p1); // P1's client leaves
    const third = await b.admit(); // P2 still runs: this must be refused
    expect(third).toMatchObject({ allowed: false });
  });

  it("does not close a circuit that reopened after the probe was let through, on that probe's success", async () => {
    const { a, b, changes } = await replicas('p/probe-succeeds-late');
    const p1 = await halfOpenWithProbeOnA(a);
    changes.length = 0;
    // P1, from the earlier period, answers well now, while the reopened circuit's cooldown runs.
    await a.succeeded(p1);
    const announced = [...changes];
    await sleep(options.cooldownMs + 100);
    // The reopened circuit's cooldown is over: it should be half-open (a probe first), not closed.
    expect({ announcedWhileOpen: announced, stateOnB: await b.state() }).toEqual({ announcedWhileOpen: [], stateOnB: 'half_open' });
  });
});
