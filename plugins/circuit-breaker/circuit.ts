/**
 * One deployment's circuit: closed (requests flow, failures counted in a sliding window), open
 * (requests refused until the cooldown ends), half-open (a few probes allowed; one success closes
 * it, one failure opens it again).
 *
 * The state lives in the store's counters, so replicas on Redis share one circuit per deployment
 * (as its provider is configured now: the name the plugin gives it carries the provider's generation):
 * - `open` exists (expiring after the cooldown) while the circuit is open;
 * - `tripped` is set when it opens and cleared when a probe succeeds, so an expired `open` with
 *   `tripped` still set means half-open;
 * - `openings` numbers each opening (never reset while the deployment is in use), so a probe knows
 *   which half-open period it probes: `probes:<opening>` counts that period's probes, and a probe
 *   of an earlier period (slow, admitted before the circuit opened again) neither frees a slot of
 *   the current one nor closes it, and a slot taken just as another replica closed the circuit is
 *   left in a period nobody probes again;
 * - `failures` is a sliding window of failures.
 * Transitions are announced by the replica that made them.
 */
import { type Counters, addToWindow, clearWindow, windowCount } from 'llm-gateway/store';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  failureThreshold: number;
  windowMs: number;
  cooldownMs: number;
  halfOpenProbes: number;
}

/**
 * `probe`: the opening whose half-open period this request probes, in one of its slots (only a
 * probe's success closes the circuit); false for a request through a closed circuit.
 */
export type Admission = { allowed: true; probe: Probe } | { allowed: false; retryInMs: number };
export type Probe = number | false;

const ALLOWED: Admission = Object.freeze({ allowed: true, probe: false });

/** `tripped` outlives any cooldown but not forever: a deployment nobody calls for a day starts closed. */
const TRIPPED_TTL = 86_400_000;

/**
 * How long a probe's slot is held at most. Every probe gives its verdict (a success, a failure, or
 * its slot released when the client left), so the slot is freed by that, however long the probe
 * runs: a slot that expired with the cooldown let a second probe in beside a long completion. The
 * expiry only frees the slot of a replica that died mid-probe; two minutes is how long a probe
 * waits for its first byte by default (an adapter's `firstByteMs`).
 */
const PROBE_SLOT_MS = 120_000;

export class Circuit {
  private readonly keys: { open: string; tripped: string; openings: string; probes: string; failures: string };

  constructor(
    /** What its state is named after in the store: the deployment, with its provider's generation. */
    name: string,
    private readonly options: CircuitOptions,
    private readonly counters: Counters,
    private readonly onChange: (from: CircuitState, to: CircuitState) => void,
    /** The provider's generation it is of (`PluginHost.providerGeneration`). */
    readonly generation = '',
  ) {
    const prefix = `circuit:${name}`;
    this.keys = { open: `${prefix}:open`, tripped: `${prefix}:tripped`, openings: `${prefix}:openings`, probes: `${prefix}:probes`, failures: `${prefix}:failures` };
  }

  /** The state now: an open circuit whose cooldown ended is half-open, ready for a probe. */
  async state(): Promise<CircuitState> {
    const [openForMs, tripped] = await Promise.all([this.counters.ttl(this.keys.open), this.counters.get(this.keys.tripped)]);
    if (openForMs !== undefined && openForMs > 0) return 'open';
    return tripped > 0 ? 'half_open' : 'closed';
  }

  /**
   * May a request go now? In half-open, takes one of the probe slots. A closed circuit in this
   * process's counters (nearly every request) is answered at once.
   */
  admit(): Admission | Promise<Admission> {
    const { local } = this.counters;
    if (local && local.ttlNow(this.keys.open) === undefined && local.getNow(this.keys.tripped) === 0) return ALLOWED;
    return this.admitChecked();
  }

  private async admitChecked(): Promise<Admission> {
    const { opening, openForMs, tripped } = await this.read();
    if (openForMs > 0) return { allowed: false, retryInMs: openForMs };
    if (tripped === 0) return ALLOWED;
    const slots = this.probesOf(opening);
    const probes = await this.counters.add(slots, 1, this.probeSlotMs());
    // Still this opening's half-open period once the slot is taken (the reads above need not have
    // been answered in order): one opened since, by its number or its `open`, refuses the probe.
    const now = await this.read();
    const reopened = now.opening !== opening || now.openForMs > 0;
    if (reopened || probes > this.options.halfOpenProbes) {
      await this.counters.add(slots, -1, this.probeSlotMs());
      return { allowed: false, retryInMs: now.openForMs || this.options.cooldownMs };
    }
    if (probes === 1) this.onChange('open', 'half_open');
    return { allowed: true, probe: opening };
  }

  /** The opening's number, `open`'s time left (0: not open) and `tripped`, read at once: one round trip on a shared store. */
  private async read(): Promise<{ opening: number; openForMs: number; tripped: number }> {
    const [opening, openForMs, tripped] = await Promise.all([this.counters.get(this.keys.openings), this.counters.ttl(this.keys.open), this.counters.get(this.keys.tripped)]);
    return { opening, openForMs: Math.max(0, openForMs ?? 0), tripped };
  }

  /** The probe slots of one opening's half-open period. */
  private probesOf(opening: number): string {
    return `${this.keys.probes}:${opening}`;
  }

  /**
   * A probe's success closes a tripped circuit. Any other request's says nothing: one admitted
   * before the circuit opened, and slow to end, would close it mid-cooldown with no probe.
   */
  succeeded(probe: Probe): void | Promise<void> {
    if (probe === false || this.counters.local?.getNow(this.keys.tripped) === 0) return;
    return this.closeIfStillProbing(probe);
  }

  /**
   * Closes the circuit if `probe` is of the current opening, which is still tripped and half-open:
   * not closed since, nor opened again (a new number; or, by a replica of an older build, which
   * numbers no opening, an `open` of its own).
   */
  private async closeIfStillProbing(probe: number): Promise<void> {
    const { opening, openForMs, tripped } = await this.read();
    if (tripped === 0 || opening !== probe || openForMs > 0) return;
    // `open` too: one counted while the store stalled may land after this close, and would start a new cooldown.
    await Promise.all([this.counters.delete(this.keys.open), this.counters.delete(this.keys.tripped), this.counters.delete(this.probesOf(probe)), clearWindow(this.counters, this.keys.failures, this.options.windowMs)]);
    this.onChange('half_open', 'closed');
  }

  async failed(now: number): Promise<void> {
    // The next opening's probes are counted under its own number: this period's slots are left to expire.
    if ((await this.state()) === 'half_open') return this.open('half_open');
    await addToWindow(this.counters, this.keys.failures, 1, this.options.windowMs, now);
    if ((await windowCount(this.counters, this.keys.failures, this.options.windowMs, now)) >= this.options.failureThreshold) await this.open('closed');
  }

  /** A probe that ended without a verdict (the client left) frees its slot, in its own period. */
  async released(probe: Probe): Promise<void> {
    if (probe === false) return;
    const slots = this.probesOf(probe);
    if ((await this.counters.get(slots)) > 0) await this.counters.add(slots, -1, this.probeSlotMs());
  }

  private probeSlotMs(): number {
    return Math.max(this.options.cooldownMs, PROBE_SLOT_MS);
  }

  async snapshot(now: number): Promise<{ state: CircuitState; recentFailures: number; retryInMs?: number }> {
    const [state, failures, openForMs] = await Promise.all([this.state(), windowCount(this.counters, this.keys.failures, this.options.windowMs, now), this.counters.ttl(this.keys.open)]);
    const recentFailures = Math.round(failures);
    return state === 'open' ? { state, recentFailures, retryInMs: openForMs ?? 0 } : { state, recentFailures };
  }

  private async open(from: CircuitState): Promise<void> {
    // Numbered before `open` is set: a probe of the period before, succeeding now, finds a number
    // not its own and leaves the circuit open (replicas failing at once each take one: harmless).
    await this.counters.add(this.keys.openings, 1, TRIPPED_TTL, { renewTtl: true });
    // Only the caller whose add created the key opened the circuit: replicas failing at once announce it once.
    const opened = (await this.counters.add(this.keys.open, 1, this.options.cooldownMs)) === 1;
    if (!opened) return;
    await this.counters.add(this.keys.tripped, 1, TRIPPED_TTL);
    this.onChange(from, 'open');
  }
}
