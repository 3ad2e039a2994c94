/**
 * Adds sent to a shared store that ran out of time (core/store/bounded-counters.ts). Each may still
 * land, so its amount stays in the local ledger but must not be sent again until it is known
 * whether it did. Sent twice, a budget's give-back would take the shared total below what was
 * spent, and other replicas would let a request past the budget.
 */

/**
 * How a call ended: the store answered it (`applied`), its error shows the store changed nothing
 * (`not applied`), or nobody can tell (its connection died with it in flight, or it never ended).
 */
export type Fate = 'applied' | 'not applied' | 'unknown';

/** Most keys whose latest delete is remembered; past it, deletes older than any call they could concern are forgotten. */
const MAX_DELETED_KEYS = 10_000;

export class CallsOnTheirWay {
  private readonly amounts = new Map<string, number>();
  /** Numbers every delete: a mark is the number reached when it was taken. */
  private deletes = 0;
  /** Per key, the number of its latest delete and when it came. */
  private readonly deletions = new Map<string, { number: number; at: number }>();

  /**
   * @param lostAfterMs a call still unanswered this long is taken as lost (Redis's liveness check ends its connection after 3 s).
   * @param neverApplied whether a call's error shows the store changed nothing (`Counters.neverApplied`).
   */
  constructor(
    private readonly lostAfterMs: number,
    private readonly neverApplied: (error: unknown) => boolean = () => false,
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
   * delete took the local count with it, so a take-back would go negative).
   */
  follow(key: string, amount: number, call: Promise<unknown>, arrived: (fate: Fate) => void, mark = this.mark()): void {
    if (this.deletedSince(key, mark)) return;
    this.amounts.set(key, this.amountOf(key) + amount);
    let settled = false;
    const settle = (fate: Fate) => {
      clearTimeout(lost);
      if (settled || this.deletedSince(key, mark)) return;
      settled = true;
      const left = this.amountOf(key) - amount;
      if (left === 0) this.amounts.delete(key);
      else this.amounts.set(key, left);
      arrived(fate);
    };
    const lost = setTimeout(() => settle('unknown'), this.lostAfterMs).unref();
    call.then(
      () => settle('applied'),
      (error: unknown) => settle(this.neverApplied(error) ? 'not applied' : 'unknown'),
    );
  }

  /** The key was deleted: what its calls on their way bring no longer concerns the local count. */
  deleted(key: string): void {
    if (this.deletions.size >= MAX_DELETED_KEYS) this.forgetOldDeletes();
    this.deletions.set(key, { number: ++this.deletes, at: Date.now() });
    this.amounts.delete(key);
  }

  /**
   * A delete concerns only calls followed when it came, which end within `lostAfterMs`, and moves
   * waiting for their answer, which end sooner. Older ones are forgotten; if every one is recent
   * (ten thousand keys deleted in seconds), all are: a call then missing its key's delete takes its
   * amount out of an emptied count (below 0 until the key's window ends), where a mark that read
   * as deleted would have left the amount owed for good.
   */
  private forgetOldDeletes(): void {
    const horizon = Date.now() - 2 * this.lostAfterMs;
    for (const [key, { at }] of this.deletions) if (at < horizon) this.deletions.delete(key);
    if (this.deletions.size >= MAX_DELETED_KEYS) this.deletions.clear();
  }
}
