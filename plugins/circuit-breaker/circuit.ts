/**
 * One deployment's circuit: closed (requests flow, failures counted in a sliding window), open
 * (requests refused until the cooldown ends), half-open (a few probes allowed; one success closes
 * it, one failure opens it again).
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  failureThreshold: number;
  windowMs: number;
  cooldownMs: number;
  halfOpenProbes: number;
}

export type Admission = { allowed: true } | { allowed: false; retryInMs: number };

export class Circuit {
  state: CircuitState = 'closed';
  private failures: number[] = [];
  private openedAt = 0;
  private probes = 0;

  constructor(
    private readonly options: CircuitOptions,
    private readonly onChange: (from: CircuitState, to: CircuitState) => void,
  ) {}

  /** May a request go now? Moves an open circuit whose cooldown ended to half-open. */
  admit(now: number): Admission {
    if (this.state === 'open') {
      const retryInMs = this.openedAt + this.options.cooldownMs - now;
      if (retryInMs > 0) return { allowed: false, retryInMs };
      this.move('half_open');
    }
    if (this.state === 'half_open') {
      if (this.probes >= this.options.halfOpenProbes) return { allowed: false, retryInMs: this.options.cooldownMs };
      this.probes++;
    }
    return { allowed: true };
  }

  /** The state a router should see: an open circuit whose cooldown ended is ready for a probe. */
  effectiveState(now: number): CircuitState {
    return this.state === 'open' && now >= this.openedAt + this.options.cooldownMs ? 'half_open' : this.state;
  }

  succeeded(): void {
    if (this.state === 'half_open') this.move('closed');
  }

  failed(now: number): void {
    if (this.state === 'half_open') {
      this.open(now);
      return;
    }
    this.failures = this.failures.filter((at) => now - at < this.options.windowMs);
    this.failures.push(now);
    if (this.state === 'closed' && this.failures.length >= this.options.failureThreshold) this.open(now);
  }

  /** A probe that ended without a verdict (the client left) frees its slot. */
  released(): void {
    if (this.state === 'half_open' && this.probes > 0) this.probes--;
  }

  snapshot(now: number): { state: CircuitState; recentFailures: number; retryInMs?: number } {
    const recentFailures = this.failures.filter((at) => now - at < this.options.windowMs).length;
    if (this.state !== 'open') return { state: this.state, recentFailures };
    return { state: this.state, recentFailures, retryInMs: Math.max(0, this.openedAt + this.options.cooldownMs - now) };
  }

  private open(now: number): void {
    this.openedAt = now;
    this.move('open');
  }

  private move(to: CircuitState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.probes = 0;
    if (to === 'closed') this.failures = [];
    this.onChange(from, to);
  }
}
