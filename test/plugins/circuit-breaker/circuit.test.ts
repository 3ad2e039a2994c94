import { describe, expect, it } from 'vitest';
import { Circuit, type CircuitState } from '../../../plugins/circuit-breaker/circuit.js';

function circuit(options = {}) {
  const changes: Array<[CircuitState, CircuitState]> = [];
  const c = new Circuit({ failureThreshold: 3, windowMs: 1000, cooldownMs: 500, halfOpenProbes: 1, ...options }, (from, to) => void changes.push([from, to]));
  return { c, changes };
}

describe('Circuit', () => {
  it('opens after the threshold of failures inside the window', () => {
    const { c, changes } = circuit();
    c.failed(0);
    c.failed(100);
    expect(c.admit(150)).toEqual({ allowed: true });
    c.failed(200);
    expect(c.state).toBe('open');
    expect(c.admit(300)).toEqual({ allowed: false, retryInMs: 400 });
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('forgets failures older than the window', () => {
    const { c } = circuit();
    c.failed(0);
    c.failed(100);
    c.failed(1200);
    expect(c.state).toBe('closed');
    expect(c.snapshot(1200)).toEqual({ state: 'closed', recentFailures: 1 });
  });

  it('half-opens after the cooldown, lets one probe through, and closes on its success', () => {
    const { c, changes } = circuit({ failureThreshold: 1 });
    c.failed(0);
    expect(c.admit(499).allowed).toBe(false);
    expect(c.admit(500)).toEqual({ allowed: true });
    expect(c.state).toBe('half_open');
    expect(c.admit(501).allowed).toBe(false);
    c.succeeded();
    expect(c.state).toBe('closed');
    expect(c.admit(502).allowed).toBe(true);
    expect(changes).toEqual([['closed', 'open'], ['open', 'half_open'], ['half_open', 'closed']]);
  });

  it('opens again when the probe fails, for another full cooldown', () => {
    const { c } = circuit({ failureThreshold: 1 });
    c.failed(0);
    c.admit(600);
    c.failed(650);
    expect(c.state).toBe('open');
    expect(c.admit(1100)).toEqual({ allowed: false, retryInMs: 50 });
    expect(c.snapshot(1100)).toMatchObject({ state: 'open', retryInMs: 50 });
  });

  it('reports an open circuit whose cooldown ended as ready for a probe', () => {
    const { c } = circuit({ failureThreshold: 1 });
    c.failed(0);
    expect(c.effectiveState(499)).toBe('open');
    expect(c.effectiveState(500)).toBe('half_open');
  });

  it('frees a probe slot when a probe ends without a verdict', () => {
    const { c } = circuit({ failureThreshold: 1 });
    c.failed(0);
    c.admit(500);
    c.released();
    expect(c.admit(501).allowed).toBe(true);
  });
});
