import { describe, expect, it } from 'vitest';
import { Circuit, type CircuitState } from '../../../plugins/circuit-breaker/circuit.js';
import { countersShapes, testCounters, type CountersShape } from '../../support/counters.js';

describe.each(countersShapes)('Circuit on %s counters', (shape: CountersShape) => {
  /** A circuit on memory counters that run on the test's clock. */
  function circuit(options = {}) {
    const changes: Array<[CircuitState, CircuitState]> = [];
    const clock = { now: 0 };
    const counters = testCounters(shape, () => clock.now);
    const make = () => new Circuit('p/m', { failureThreshold: 3, windowMs: 1000, cooldownMs: 500, halfOpenProbes: 1, ...options }, counters, (from, to) => void changes.push([from, to]));
    return { c: make(), make, changes, clock };
  }

  it('opens after the threshold of failures inside the window', async () => {
    const { c, changes, clock } = circuit();
    await c.failed(0);
    await c.failed(100);
    clock.now = 150;
    expect(await c.admit()).toEqual({ allowed: true, probe: false });
    clock.now = 200;
    await c.failed(200);
    expect(await c.state()).toBe('open');
    clock.now = 300;
    expect(await c.admit()).toEqual({ allowed: false, retryInMs: 400 });
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('forgets failures that slid out of the window', async () => {
    const { c, clock } = circuit();
    await c.failed(0);
    await c.failed(100);
    clock.now = 2100;
    await c.failed(2100);
    expect(await c.state()).toBe('closed');
    expect(await c.snapshot(2100)).toEqual({ state: 'closed', recentFailures: 1 });
  });

  it('half-opens after the cooldown, lets one probe through, and closes on its success', async () => {
    const { c, changes, clock } = circuit({ failureThreshold: 1 });
    await c.failed(0);
    clock.now = 499;
    expect((await c.admit()).allowed).toBe(false);
    clock.now = 500;
    expect(await c.state()).toBe('half_open');
    // The probe of the first opening.
    expect(await c.admit()).toEqual({ allowed: true, probe: 1 });
    clock.now = 501;
    expect((await c.admit()).allowed).toBe(false);
    await c.succeeded(1);
    expect(await c.state()).toBe('closed');
    expect((await c.admit()).allowed).toBe(true);
    expect(changes).toEqual([['closed', 'open'], ['open', 'half_open'], ['half_open', 'closed']]);
  });

  it('opens again when the probe fails, for another full cooldown', async () => {
    const { c, clock } = circuit({ failureThreshold: 1 });
    await c.failed(0);
    clock.now = 600;
    await c.admit();
    clock.now = 650;
    await c.failed(650);
    expect(await c.state()).toBe('open');
    clock.now = 1100;
    expect(await c.admit()).toEqual({ allowed: false, retryInMs: 50 });
    expect(await c.snapshot(1100)).toMatchObject({ state: 'open', retryInMs: 50 });
  });

  it('frees a probe slot when a probe ends without a verdict', async () => {
    const { c, clock } = circuit({ failureThreshold: 1 });
    await c.failed(0);
    clock.now = 500;
    const probe = await c.admit();
    await c.released(probe.allowed ? probe.probe : false);
    expect((await c.admit()).allowed).toBe(true);
  });

  it('is one circuit for every replica that shares the counters, announced once', async () => {
    const { c, make, changes } = circuit({ failureThreshold: 2 });
    const other = make();
    await c.failed(0);
    await other.failed(10);
    expect(await c.state()).toBe('open');
    expect(await other.state()).toBe('open');
    await Promise.all([c.failed(20), other.failed(20)]);
    expect(changes).toEqual([['closed', 'open']]);
  });
});
