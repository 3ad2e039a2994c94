/**
 * Circuit alerts: at most one a deployment in `quietMs`, so a deployment that flaps does not flood
 * the channel, and never leaving the channel on a state the deployment has left. A change that
 * comes inside the quiet time is not told then; when the quiet time ends the deployment's state
 * is read again and told if it is not the last one told. The last state told is kept in the store,
 * so replicas agree on it (each change is announced by the one replica that made it).
 */
import type { TypedKv } from 'llm-gateway/store';
import type { FirstClaim } from './first-claim.js';
import type { CircuitAlert } from './messages.js';

export type ToldState = 'open' | 'closed';

/** Deployments waiting for their quiet time to end, at most. */
const MAX_PENDING = 1_000;
/** How long the last state told is kept: past it, a change is simply told. */
const TOLD_TTL_MS = 7 * 86_400_000;

export class CircuitNotices {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly claims: FirstClaim,
    private readonly told: TypedKv<Record<string, ToldState>>,
    private readonly quietMs: number,
    /** The deployment's state now (half-open counts as open: it has not answered yet), or undefined when unknown. */
    private readonly stateNow: (deployment: string) => Promise<ToldState | undefined>,
    private readonly raise: (alert: CircuitAlert & { at: string }) => void,
  ) {}

  /** A circuit changed: told now, or once the quiet time ends if it still holds. */
  async changed(deployment: string, state: ToldState): Promise<void> {
    // Where the store does not answer, the change is told: a repeat rather than a silence.
    if ((await this.told.get(deployment).catch(() => undefined)) === state) return;
    if (!(await this.claims.claim(`circuit:${deployment}`, Date.now() + this.quietMs))) return this.lookAgainLater(deployment);
    await this.told.set(deployment, state, TOLD_TTL_MS).catch(() => undefined);
    this.raise({ type: state === 'open' ? 'circuit.open' : 'circuit.closed', deployment, at: new Date().toISOString() });
  }

  close(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private lookAgainLater(deployment: string): void {
    if (this.pending.has(deployment) || this.pending.size >= MAX_PENDING) return;
    // A little past the quiet time, so that the claim made at its start has ended everywhere.
    const timer = setTimeout(() => {
      this.pending.delete(deployment);
      void this.stateNow(deployment)
        .then((state) => (state ? this.changed(deployment, state) : undefined))
        .catch(() => undefined);
    }, this.quietMs + 100);
    timer.unref();
    this.pending.set(deployment, timer);
  }
}
