/**
 * Adds sent to a shared store that ran out of time (core/store/bounded-counters.ts). Each may still
 * land, so its amount stays in the local ledger but must not be sent again until it is known
 * whether it did. Sent twice, a budget's give-back would take the shared total below what was
 * spent, and other replicas would let a request past the budget.
 *
 * A call the store can recognise when it comes again (`Counters.addOnce`: sent under an id the
 * store remembers for a while) need not stay unknown: while its id is remembered it is sent again
 * until one copy is answered, and however many copies land, it counts once.
 */
import { steadyNow } from './steady-now.js';

/**
 * How a call ended: the store answered it (`applied`), its error shows the store changed nothing
 * (`not applied`), or nobody can tell (its connection died with it in flight, or it never ended).
 */
export type Fate = 'applied' | 'not applied' | 'unknown';

/** Most keys whose latest delete is remembered; past it, deletes older than any call they could concern are forgotten. */
const MAX_DELETED_KEYS = 10_000;

/** Most calls waiting to be sent again; past it, a call of unknown fate is settled as unknown at once. */
const MAX_TO_SEND_AGAIN = 10_000;

/** Sends a copy of a call under its id (`Counters.addOnce`); resolves when the store has answered it. */
export type SendAgain = () => Promise<unknown>;

interface Followed {
  readonly key: string;
  readonly amount: number;
  readonly mark: number;
  readonly arrived: (fate: Fate) => void;
  readonly again: SendAgain | undefined;
  /** The time (`steadyNow`) after which a copy may no longer count once (the store may have forgotten the id). */
  readonly until: number;
  settled: boolean;
  /** A copy is on its way; another is sent only once it fails (an answer settles the call). */
  sending: boolean;
}

export class CallsOnTheirWay {
  private readonly amounts = new Map<string, number>();
  /** Numbers every delete: a mark is the number reached when it was taken. */
  private deletes = 0;
  /** Per key, the number of its latest delete and when it came. */
  private readonly deletions = new Map<string, { number: number; at: number }>();
  /** Calls of unknown fate to send again (`SendAgain`), until one copy is answered. */
  private readonly toSendAgain = new Set<Followed>();

  /**
   * @param lostAfterMs a call still unanswered this long is taken as lost (Redis's liveness check ends its connection after 3 s).
   * @param neverApplied whether a call's error shows the store changed nothing (`Counters.neverApplied`).
   * @param sendAgainForMs how long after it was followed a call of unknown fate may be sent again
   *   (`follow`'s `again`); the store must remember its id for longer than that.
   */
  constructor(
    private readonly lostAfterMs: number,
    private readonly neverApplied: (error: unknown) => boolean = () => false,
    private readonly sendAgainForMs = 0,
  ) {}

  /** The part of `key`'s local count that calls on their way may still bring to the store. */
  amountOf(key: string): number {
    return this.amounts.get(key) ?? 0;
  }

  has(key: string): boolean {
    return this.amounts.has(key);
  }

  /** What a later `deletedSince` compares with: take it when reading the local count a call will carry. */
  mark(): number {
    return this.deletes;
  }

  /** The key was deleted after `mark` was taken: the local count read then is gone. */
  deletedSince(key: string, mark: number): boolean {
    return (this.deletions.get(key)?.number ?? 0) > mark;
  }

  /**
   * Follows `call`, which carries `amount` for `key` (read from the local count when `mark` was
   * taken): `arrived` runs once with its fate, or not at all if the key was deleted since (the
   * delete took the local count with it, so a take-back would go negative). With `again`, a fate
   * that would be unknown waits instead for a copy sent again (`sendAgain`) to be answered.
   */
  follow(key: string, amount: number, call: Promise<unknown>, arrived: (fate: Fate) => void, mark = this.mark(), again?: SendAgain): void {
    if (this.deletedSince(key, mark)) return;
    this.amounts.set(key, this.amountOf(key) + amount);
    const followed: Followed = { key, amount, mark, arrived, again, until: steadyNow() + this.sendAgainForMs, settled: false, sending: false };
    const lost = setTimeout(() => this.unknown(followed), this.lostAfterMs).unref();
    call.then(
      () => {
        clearTimeout(lost);
        this.settle(followed, 'applied');
      },
      (error: unknown) => {
        clearTimeout(lost);
        if (this.neverApplied(error)) this.settle(followed, 'not applied');
        else this.unknown(followed);
      },
    );
  }

  /**
   * Sends a copy of each call of unknown fate that can be sent again, one copy at a time each;
   * the first copy answered settles it as applied (however many land, the store counts the call
   * once). A copy that fails changes nothing, and the next `sendAgain` sends another; past its
   * `until`, the call is settled as unknown.
   */
  sendAgain(): void {
    for (const followed of this.toSendAgain) {
      if (followed.settled || this.deletedSince(followed.key, followed.mark)) this.toSendAgain.delete(followed);
      else if (steadyNow() > followed.until) this.settle(followed, 'unknown');
      else if (!followed.sending) {
        followed.sending = true;
        followed.again!().then(
          () => this.settle(followed, 'applied'),
          () => (followed.sending = false),
        );
      }
    }
  }

  /**
   * Closing: one last copy of each call waiting to be sent again, answered within `withinMs` or
   * settled as unknown (the stricter side), so that none is left neither sent nor settled.
   */
  async lastTry(withinMs: number): Promise<void> {
    const waiting = [...this.toSendAgain];
    if (waiting.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const copies = Promise.allSettled(waiting.map((followed) => followed.again!().then(() => this.settle(followed, 'applied'))));
    await Promise.race([copies, new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
    for (const followed of waiting) this.settle(followed, 'unknown');
  }

  /** Nobody can tell whether the call landed: it waits to be sent again if it can be, else it is settled as unknown. */
  private unknown(followed: Followed): void {
    if (followed.settled) return;
    const canWait = followed.again !== undefined && steadyNow() <= followed.until && this.toSendAgain.size < MAX_TO_SEND_AGAIN;
    if (canWait) this.toSendAgain.add(followed);
    else this.settle(followed, 'unknown');
  }

  private settle(followed: Followed, fate: Fate): void {
    this.toSendAgain.delete(followed);
    if (followed.settled || this.deletedSince(followed.key, followed.mark)) return;
    followed.settled = true;
    const left = this.amountOf(followed.key) - followed.amount;
    if (left === 0) this.amounts.delete(followed.key);
    else this.amounts.set(followed.key, left);
    followed.arrived(fate);
  }

  /** The key was deleted: what its calls on their way bring no longer concerns the local count. */
  deleted(key: string): void {
    if (this.deletions.size >= MAX_DELETED_KEYS) this.forgetOldDeletes();
    this.deletions.set(key, { number: ++this.deletes, at: steadyNow() });
    this.amounts.delete(key);
  }

  /**
   * A delete concerns only calls followed when it came, which end within `lostAfterMs` (or
   * `sendAgainForMs`, sent again), and moves waiting for their answer, which end sooner. Older ones are forgotten; if every one is recent
   * (ten thousand keys deleted in seconds), all are: a call then missing its key's delete takes its
   * amount out of an emptied count (below 0 until the key's window ends), where a mark that read
   * as deleted would have left the amount owed for good.
   */
  private forgetOldDeletes(): void {
    const horizon = steadyNow() - 2 * Math.max(this.lostAfterMs, this.sendAgainForMs);
    for (const [key, { at }] of this.deletions) if (at < horizon) this.deletions.delete(key);
    if (this.deletions.size >= MAX_DELETED_KEYS) this.deletions.clear();
  }
}
