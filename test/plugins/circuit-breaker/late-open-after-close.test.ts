/**
 * A circuit that a probe closed is not opened again by an `open` counted while Redis stalled and
 * landing late. Needs REDIS_URL.
 *
 * Before its fix: replica A (behind a stalled Redis) opened the circuit in its local counts; the
 * move of that `open` waited in the proxy. The cooldown passed, A's probe succeeded and A closed
 * the circuit. When Redis answered, the held add created `open` again with a fresh expiry: both
 * replicas refused the deployment for a whole cooldown, with nothing failed since and nothing
 * announced. Closing now deletes `open` too (plugins/circuit-breaker/circuit.ts), and a delete
 * makes a move in flight on that key drop its result (core/store/calls-on-their-way.ts `mark`).
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { Circuit, type CircuitState } from '../../../plugins/circuit-breaker/circuit.js';
import { stalledRedisCounters } from '../../support/stalled-redis-counters.js';

const REDIS_URL = process.env.REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const options = { failureThreshold: 1, windowMs: 60_000, cooldownMs: 1500, halfOpenProbes: 1 };

describe.skipIf(!REDIS_URL)('a late `open` after a Redis stall', () => {
  const redis = stalledRedisCounters('late-open', 100);
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  it('does not reopen a circuit that a probe closed meanwhile', async () => {
    const { proxy, counters: countersA } = await redis.setUp();
    const clientB = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
    const countersB = new BoundedCounters(new RedisCounters(clientB, redis.prefix), silentLogger, 100);
    closers.push(async () => clientB.quit(), () => countersB.close());

    const changesA: string[] = [];
    const changesB: string[] = [];
    const a = new Circuit('p/m', options, countersA, (from: CircuitState, to: CircuitState) => void changesA.push(`${from}->${to}`));
    const b = new Circuit('p/m', options, countersB, (from: CircuitState, to: CircuitState) => void changesB.push(`${from}->${to}`));
    expect(await b.state()).toBe('closed');

    // Redis stalls (holds A's traffic). A failure on A opens the circuit in A's ledger; A's next
    // read moves `open` towards Redis, where the add waits in the proxy.
    proxy.stall('hold');
    await a.failed(Date.now());
    expect(changesA).toEqual(['closed->open']);
    expect(await a.state()).toBe('open');

    // The cooldown passes; a probe goes through on A and succeeds: A closes the circuit.
    await sleep(options.cooldownMs + 100);
    const admission = await a.admit();
    expect(admission).toEqual({ allowed: true, probe: expect.any(Number) });
    await a.succeeded(admission.allowed ? admission.probe : false);
    expect(changesA).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
    expect(await a.state()).toBe('closed');

    // Redis answers again: what A sent during the stall lands now.
    proxy.resume();
    await sleep(200);

    // Nothing has failed since the circuit closed: neither replica should refuse the deployment.
    const after = { stateOnA: await a.state(), stateOnB: await b.state(), admitOnB: await b.admit() };
    expect(after).toEqual({ stateOnA: 'closed', stateOnB: 'closed', admitOnB: { allowed: true, probe: false } });
  });
});
