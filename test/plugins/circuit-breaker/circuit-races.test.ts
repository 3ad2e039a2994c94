/**
 * A circuit's probes and re-openings racing each other, on counters shaped like Redis's (no
 * `local`), one operation held at a gate so that the interleaving is deterministic.
 *
 * Before their fixes (a review of the day's own change, 696afdc):
 * 1. `open()` set `open` and then took the opening's number: a probe of the period before,
 *    succeeding in between, found its own number still current and deleted the new `open`, so the
 *    circuit went half-open with no cooldown. The number is now taken first.
 * 2. An admission read `open` and `tripped`, then `openings` a round trip later: a re-opening in
 *    between made the request a probe of the new opening, admitted mid-cooldown, whose success
 *    closed it. Once its slot is taken, an admission now checks the opening is still current and
 *    not open again, and refuses otherwise.
 * 3. A replica of an older build re-opens without a number: a probe of the period before closed
 *    that re-opening mid-cooldown. A close now also needs `open` to be unset.
 */
import { describe, expect, it } from 'vitest';
import type { AddOptions, BucketTake, Counters } from '../../../core/store/counters.js';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import { Circuit, type CircuitState } from '../../../plugins/circuit-breaker/circuit.js';

type Gate = { op: 'add' | 'get'; key: string; reached: Promise<void>; release: () => void };

/** MemoryCounters without `local` (like Redis), whose next matching operation can be held. */
class GatedCounters implements Counters {
  readonly memory = new MemoryCounters();
  private gate: (Gate & { arrived: () => void; opened: Promise<void> }) | undefined;

  hold(op: 'add' | 'get', key: string): Gate {
    let arrived: () => void = () => undefined;
    let release: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const opened = new Promise<void>((resolve) => (release = resolve));
    this.gate = { op, key, reached, release, arrived, opened };
    return { op, key, reached, release };
  }

  private async pass(op: 'add' | 'get', key: string): Promise<void> {
    const gate = this.gate;
    if (!gate || gate.op !== op || gate.key !== key) return;
    this.gate = undefined;
    gate.arrived();
    await gate.opened;
  }

  async add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    await this.pass('add', key);
    return this.memory.add(key, by, ttlMs, options);
  }
  async get(key: string): Promise<number> {
    await this.pass('get', key);
    return this.memory.get(key);
  }
  next(key: string): Promise<number> {
    return this.memory.next(key);
  }
  ttl(key: string): Promise<number | undefined> {
    return this.memory.ttl(key);
  }
  delete(key: string): Promise<void> {
    return this.memory.delete(key);
  }
  takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake> {
    return this.memory.takeFromBucket(key, amount, capacity, refillPerSecond);
  }
  async close(): Promise<void> {
    await this.memory.close();
  }
}

const OPTIONS = { failureThreshold: 1, windowMs: 60_000, cooldownMs: 60_000, halfOpenProbes: 2 };

/** A circuit opened once and whose cooldown is over (its `open` key gone): half-open, opening 1. */
async function halfOpen(deployment: string) {
  const counters = new GatedCounters();
  const changes: string[] = [];
  const c = new Circuit(deployment, OPTIONS, counters, (from: CircuitState, to: CircuitState) => void changes.push(`${from}->${to}`));
  await c.failed(Date.now());
  expect(await c.state()).toBe('open');
  await counters.memory.delete(`circuit:${deployment}:open`); // the cooldown ends
  expect(await c.state()).toBe('half_open');
  return { c, counters, changes };
}

describe('circuit probes racing a re-opening', () => {
  it('a probe that succeeds while the circuit re-opens does not cancel the new cooldown', async () => {
    const { c, counters } = await halfOpen('r/close-vs-open');
    const p1 = await c.admit();
    const p2 = await c.admit();
    expect([p1, p2]).toEqual([{ allowed: true, probe: 1 }, { allowed: true, probe: 1 }]);

    // P2 fails: the circuit opens again. Its `open` is set; `openings` is about to be bumped.
    const gate = counters.hold('add', 'circuit:r/close-vs-open:openings');
    const reopening = c.failed(Date.now());
    await gate.reached;
    // P1 (same period) succeeds meanwhile (another replica, or this one: both are a few round trips).
    await c.succeeded(1);
    gate.release();
    await reopening;

    // A failed probe re-opened the circuit: a cooldown must run before anything else goes through.
    // Either outcome of the race would be acceptable (open, or closed); half-open at once is not.
    const state = await c.state();
    const next = await c.admit();
    expect({ state, nextAllowed: next.allowed }).toEqual({ state: 'open', nextAllowed: false });
  });

  it('a request admitted in the period before a re-opening is not a probe of the new opening, and cannot close it mid-cooldown', async () => {
    const { c, counters } = await halfOpen('r/admit-vs-open');
    // An admission reads `open` (gone) and `tripped` (1): half-open; its read of `openings` is slow.
    const gate = counters.hold('get', 'circuit:r/admit-vs-open:openings');
    const admitting = c.admit();
    await gate.reached;
    // Meanwhile a probe of this period fails: the circuit opens again (opening 2, cooldown 60 s).
    await c.failed(Date.now());
    expect(await c.state()).toBe('open');
    gate.release();
    const admission = await admitting;
    // Admitted while half-open in opening 1: at most a probe of opening 1 (or refused).
    if (admission.allowed) await c.succeeded(admission.probe);
    expect({ admission, state: await c.state() }).toEqual({ admission: expect.not.objectContaining({ probe: 2 }), state: 'open' });
  });

  it('rolling upgrade: a new-build probe does not close a circuit an old-build replica re-opened meanwhile', async () => {
    const { c, counters } = await halfOpen('r/upgrade');
    const p1 = await c.admit(); // a probe of opening 1, on a replica of the new build
    expect(p1).toEqual({ allowed: true, probe: 1 });
    // A replica still on the previous build (f69a78c) lets a probe through, which fails: its
    // `failed()` deletes `probes` and its `open()` adds `open` (the cooldown) and `tripped`.
    await counters.memory.delete('circuit:r/upgrade:probes');
    expect(await counters.memory.add('circuit:r/upgrade:open', 1, OPTIONS.cooldownMs)).toBe(1);
    await counters.memory.add('circuit:r/upgrade:tripped', 1, 86_400_000);
    expect(await c.state()).toBe('open');
    // P1, of the period before, answers well now.
    await c.succeeded(1);
    expect(await c.state()).toBe('open');
  });
});
