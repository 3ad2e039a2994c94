/**
 * Adds sent to a shared store that ran out of time (core/store/bounded-counters.ts). Each may still
 * land, so its amount stays in the local ledger but must not be sent again until it is known
 * whether it did. Sent twice, a budget's give-back would take the shared total below what was
 * spent, and other replicas would let a request past the budget.
 */

/** Most keys whose deletions are remembered; past it the record starts again (the calls it matters for end in seconds). */
const MAX_DELETED_KEYS = 10_000;

export class CallsOnTheirWay {
  private readonly amounts = new Map<string, number>();
  /** How often each key was deleted while some call on it may still be on its way. */
  private readonly deletions = new Map<string, number>();

  /** @param lostAfterMs a call still unanswered this long is taken as lost (Redis's liveness check ends its connection after 3 s). */
  constructor(private readonly lostAfterMs: number) {}

  /** The part of `key`'s local count that calls on their way may still bring to the store. */
  amountOf(key: string): number {
    return this.amounts.get(key) ?? 0;
  }

  has(key: string): boolean {
    return this.amounts.has(key);
  }

  /**
   * Follows `call`, which carries `amount` for `key`: `arrived(true)` once the store has applied it,
   * `arrived(false)` once it failed or was taken as lost; not at all if the key was deleted meanwhile
   * (the delete took the local count with it, so a take-back would go negative).
   */
  follow(key: string, amount: number, call: Promise<unknown>, arrived: (applied: boolean) => void): void {
    const deletions = this.deletions.get(key);
    this.amounts.set(key, this.amountOf(key) + amount);
    let settled = false;
    const settle = (applied: boolean) => {
      clearTimeout(lost);
      if (settled || this.deletions.get(key) !== deletions) return;
      settled = true;
      const left = this.amountOf(key) - amount;
      if (left === 0) this.amounts.delete(key);
      else this.amounts.set(key, left);
      arrived(applied);
    };
    const lost = setTimeout(() => settle(false), this.lostAfterMs).unref();
    call.then(() => settle(true), () => settle(false));
  }

  /** The key was deleted: what its calls on their way bring no longer concerns the local count. */
  deleted(key: string): void {
    if (this.deletions.size >= MAX_DELETED_KEYS) this.deletions.clear();
    this.deletions.set(key, (this.deletions.get(key) ?? 0) + 1);
    this.amounts.delete(key);
  }
}
