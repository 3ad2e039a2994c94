/**
 * Counters that never hold a request hostage to a slow or unreachable store: every call has a bounded wait, and a
 * call that fails or runs out of time is answered from this process's own memory instead, and for a second after
 * a failure adds and bucket takes are answered there at once (reads still ask the store: a sequence's readers need
 * its value). Limits then hold per replica until the store is back (core/store/store-failures.ts).
 *
 * Nothing is counted twice, and nothing is lost. The local counters are a ledger of what the shared store has not
 * got yet: an add answered locally is moved into the store when it answers again (before any other call on that
 * key, and every second in the background), so a take-back lands where its take did. An add that timed out but
 * still reaches the store (a stalled Redis answering late) is not moved while on its way, and is taken out of the
 * ledger when its late answer comes, so it counts once. A connection that dies with an add in flight leaves it of
 * unknown fate. Where the store counts a call once however often it comes (`Counters.addOnce`, Redis), moves and
 * the adds that ask for it (`exactlyOnce`: money) are sent under an id, and such a call is sent again until a copy
 * is answered (for `SEND_AGAIN_FOR_TIMEOUTS` timeouts). Any other, or one the store is away longer than that, is
 * settled on the stricter side: a positive amount is moved (counted twice at worst: a limit or budget reached a
 * little early), a negative one (a give-back) is dropped (not given back at worst); never a budget passed. On a
 * count with a floor (requests in flight, whose expiry every admission renews) it is the other way round: a count
 * that went high there would never come down, holding a slot for good, while one that went low comes back to the
 * floor once those requests end. So a take of unknown fate is taken as landed, and a give-back as not (moved).
 * Token-bucket takes are not moved (a bucket refills by itself).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { CallsOnTheirWay, type Fate, type SendAgain } from './calls-on-their-way.js';
import type { AddOptions, BucketTake, Counters } from './counters.js';
import { MemoryCounters } from './memory-counters.js';
import { StoreFailures, type StoreHealth } from './store-failures.js';
import { storeUnavailable, withinMs } from './within-ms.js';

/** Most keys whose local counts wait to be moved into the store; past it the oldest are given up. */
const MAX_PENDING_KEYS = 10_000;
/** How long a call of unknown fate is sent again, in timeouts: 30 s with 250 ms, many times a Redis stall the liveness check ends. */
const SEND_AGAIN_FOR_TIMEOUTS = 120;
/** How long the store remembers a call's id past the last copy: longer than Linux goes on resending what a closed socket held (about 100 s). */
const REMEMBER_PAST_SEND_AGAIN_MS = 150_000;

export class BoundedCounters implements Counters {
  private readonly ledger = new MemoryCounters();
  /** Keys with counts in `local` the store has not got yet, with the TTL their window had. */
  private readonly pending = new Map<string, { ttlMs: number | undefined; atLeast: number | undefined }>();
  private readonly failures: StoreFailures;
  private readonly mover: NodeJS.Timeout;
  private moving: Promise<void> | undefined;
  private readonly moves = new Map<string, Promise<boolean>>();
  private readonly onTheirWay: CallsOnTheirWay;
  private readonly callIds = { process: randomBytes(9).toString('base64url'), next: 0 };
  private readonly rememberCallsMs: number;

  constructor(
    private readonly shared: Counters,
    private readonly logger: Logger,
    private readonly timeoutMs = 250,
    /**
     * An exact add (money) that runs out of time refuses its request (503), so it waits longer: under a burst of
     * 5,000 streams, 250 ms refused 2,000 reservations, 1 s 19 of 20,000 over four bursts (performance-history.md).
     */
    private readonly exactTimeoutMs = 4 * timeoutMs,
    lostAfterMs = 40 * timeoutMs,
  ) {
    this.failures = new StoreFailures(logger);
    const sendAgainForMs = SEND_AGAIN_FOR_TIMEOUTS * timeoutMs;
    this.rememberCallsMs = sendAgainForMs + REMEMBER_PAST_SEND_AGAIN_MS;
    this.onTheirWay = new CallsOnTheirWay(lostAfterMs, (error) => shared.neverApplied?.(error) ?? false, shared.addOnce ? sendAgainForMs : 0);
    this.mover = setInterval(() => {
      this.onTheirWay.sendAgain();
      void this.moveAll();
    }, 1000);
    this.mover.unref();
  }

  get health(): StoreHealth {
    return this.failures.health;
  }

  async add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    if (options?.exact) return this.addExactly(key, by, ttlMs);
    if (await this.answeredHere(key)) return this.addLocally(key, by, ttlMs, options);
    const { call, again } = this.send(key, by, ttlMs, options, options?.exactlyOnce === true);
    try {
      return await withinMs(this.timeoutMs, call);
    } catch (error) {
      this.failures.failed(error as Error);
      const total = this.addLocally(key, by, ttlMs, options);
      this.stillOnItsWay(key, by, ttlMs, call, options, undefined, again);
      return total;
    }
  }

  async get(key: string): Promise<number> {
    if (this.pending.has(key) && !(await this.move(key))) return this.ledger.get(key);
    return this.bounded(() => this.shared.get(key), () => this.ledger.get(key));
  }

  /**
   * Only the shared store numbers a sequence: a number counted here would be one another replica
   * also gets. A call that runs out of time is refused, and a number it draws late is left unused
   * (taking it back, as an exact add does, would hand it out again after numbers other replicas
   * drew meanwhile).
   */
  async next(key: string): Promise<number> {
    try {
      return this.failures.answered(await withinMs(this.exactTimeoutMs, this.shared.next(key)));
    } catch (error) {
      this.failures.failed(error as Error);
      throw storeUnavailable(error);
    }
  }

  async ttl(key: string): Promise<number | undefined> {
    if (this.pending.has(key) && !(await this.move(key))) return this.ledger.ttl(key);
    return this.bounded(() => this.shared.ttl(key), () => this.ledger.ttl(key));
  }

  async delete(key: string): Promise<void> {
    this.onTheirWay.deleted(key);
    this.pending.delete(key);
    await this.ledger.delete(key);
    return this.bounded(() => this.shared.delete(key), async () => undefined);
  }

  takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake> {
    return this.bounded(() => this.shared.takeFromBucket(key, amount, capacity, refillPerSecond), () => this.ledger.takeFromBucket(key, amount, capacity, refillPerSecond), true);
  }

  async close(): Promise<void> {
    clearInterval(this.mover);
    await this.onTheirWay.lastTry(this.exactTimeoutMs);
    await this.moveAll();
    await Promise.all([this.shared.close(), this.ledger.close()]);
  }

  /**
   * An add that only counts in the shared store: refused (503) rather than counted locally. Counts this process
   * still owes the store on that key (a settlement or a take-back that timed out) do not hold it up: they are
   * moved behind, and meanwhile a positive one is added to the total the caller judges by. Read before the add
   * is sent, so a move that lands first is counted twice at worst, the stricter side; a negative one (money
   * given back) is left out, also the stricter side. Waiting for the move instead turned one late answer under
   * a burst into a 503 for every request on that key until a move got through (docs/performance-history.md).
   */
  private async addExactly(key: string, by: number, ttlMs: number | undefined): Promise<number> {
    const owed = this.pending.has(key) ? Math.max(0, this.ledger.getNow(key)) : 0;
    const call = this.shared.add(key, by, ttlMs);
    try {
      return this.failures.answered(await withinMs(this.exactTimeoutMs, call)) + owed;
    } catch (error) {
      this.failures.failed(error as Error);
      // Applied late after all: taken back there (moved, under an id where the store has them), since the caller was told it did not count.
      call.then(() => this.addLocally(key, -by, ttlMs), () => undefined).catch(() => undefined);
      throw storeUnavailable(error);
    }
  }

  private async addLocally(key: string, by: number, ttlMs: number | undefined, options?: AddOptions): Promise<number> {
    if (!this.pending.has(key) && this.pending.size >= MAX_PENDING_KEYS) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.logger.warn('too many counters wait for the state store; the oldest is kept in this process only', { key: oldest });
    }
    this.pending.set(key, { ttlMs, atLeast: options?.atLeast }); // a floor is for the total: applied when moved
    return this.ledger.add(key, by, ttlMs, options?.renewTtl === true ? { renewTtl: true } : undefined); // no floor: a change may be < 0
  }

  /**
   * Moves one key's local count into the store; true once the store has it all. A move that runs
   * out of time stays in the ledger, and leaves it if the store applies it late.
   */
  private move(key: string): Promise<boolean> {
    // One move per key at a time: two would both send the same count.
    let moving = this.moves.get(key);
    if (!moving) {
      moving = this.moveNow(key).finally(() => this.moves.delete(key));
      this.moves.set(key, moving);
    }
    return moving;
  }

  private async moveNow(key: string): Promise<boolean> {
    // A delete after this read empties the ledger: what the move then brings back must not go into it.
    const mark = this.onTheirWay.mark();
    const held = this.ledger.getNow(key); // in the same turn as amountOf: a call settling between them would be sent twice
    const amount = held === 0 ? 0 : held - this.onTheirWay.amountOf(key);
    const { ttlMs, atLeast } = this.pending.get(key) ?? { ttlMs: undefined, atLeast: undefined };
    const options = atLeast === undefined ? undefined : { atLeast };
    if (amount === 0) return this.settledIfNothingOnItsWay(key);
    const { call, again } = this.send(key, amount, ttlMs, options, true);
    try {
      await withinMs(this.timeoutMs, call);
    } catch (error) {
      this.failures.failed(error as Error);
      this.stillOnItsWay(key, amount, ttlMs, call, options, mark, again);
      return false;
    }
    this.failures.answered(undefined);
    if (this.onTheirWay.deletedSince(key, mark)) return true;
    this.ledger.addNow(key, -amount, ttlMs);
    if (this.ledger.getNow(key) !== this.onTheirWay.amountOf(key)) return false;
    return this.settledIfNothingOnItsWay(key);
  }

  /** The store has all this process can send it of `key`; the key leaves `pending` unless a call may still fail. */
  private settledIfNothingOnItsWay(key: string): true {
    if (!this.onTheirWay.has(key)) this.pending.delete(key);
    return true;
  }

  /**
   * Sends an add to the shared store: under a call id where the store remembers ids and `once` is
   * asked (then `again` sends a copy that counts once with it), else as a plain add.
   */
  private send(key: string, by: number, ttlMs: number | undefined, options: AddOptions | undefined, once: boolean): { call: Promise<number>; again?: SendAgain } {
    if (!once || !this.shared.addOnce) return { call: this.shared.add(key, by, ttlMs, options) };
    const callId = `${this.callIds.process}:${(this.callIds.next++).toString(36)}`;
    const again = () => this.shared.addOnce!(key, by, callId, this.rememberCallsMs, ttlMs, options);
    return { call: again(), again };
  }

  /** A call that ran out of time may still reach the store: applied late, it leaves the ledger; not applied, it is moved; unknown, see the header. */
  private stillOnItsWay(key: string, amount: number, ttlMs: number | undefined, call: Promise<unknown>, options?: AddOptions, mark?: number, again?: SendAgain): void {
    const floored = options?.atLeast !== undefined;
    const leavesTheLedger = (fate: Fate) => fate === 'applied' || (fate === 'unknown' && (floored ? amount > 0 : amount < 0)); // see the header
    this.onTheirWay.follow(key, amount, call, (fate) => {
      if (fate === 'unknown') this.failures.unknownFate(key, amount);
      if (leavesTheLedger(fate)) void this.addLocally(key, -amount, ttlMs, options);
    }, mark, again);
  }

  private moveAll(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    this.moving ??= (async () => {
      for (const key of [...this.pending.keys()]) if (!(await this.move(key))) break;
    })().finally(() => (this.moving = undefined));
    return this.moving;
  }

  private async bounded<T>(call: () => Promise<T>, fallback: () => Promise<T>, skipWhileQuiet = false): Promise<T> {
    if (skipWhileQuiet && this.failures.quiet) return fallback();
    try {
      return this.failures.answered(await withinMs(this.timeoutMs, call()));
    } catch (error) {
      this.failures.failed(error as Error);
      return fallback();
    }
  }

  /** An add: quiet, or this key's local count could not be moved into the store: answered from the ledger. */
  private async answeredHere(key: string): Promise<boolean> {
    return this.failures.quiet || (this.pending.has(key) && !(await this.move(key)));
  }
}
