/**
 * The write-behind queue both usage-log backends share. Callers push records synchronously; the
 * queue writes them in batches (one multi-row INSERT each) when a batch is full or the oldest
 * record has waited long enough, so a busy gateway pays one round trip per few hundred requests.
 *
 * Failures stay here: a batch is retried with backoff, never thrown at a request. Each write has a
 * bounded wait, so a hung INSERT (a database or network that stopped answering) is a failed try,
 * not a writer stuck forever; the sinks' inserts are idempotent, so a write that times out and
 * lands late is harmless when retried. A batch that still fails for a passing reason (a timeout,
 * a lost connection, a full disk under a SQLite file) goes back to the front of the queue to wait
 * for the database, or for the operator to free space; one the database refuses outright (a value
 * it cannot store) is written again in halves, down to the record it refuses, so that one bad
 * record loses only itself, which is counted and logged. The queue is bounded and drops its oldest
 * records when the database cannot keep up, and while the database is away each record waiting is
 * made as small as it will be written (`shrink`: the usage log's bodies captured and capped, not
 * the whole answer held), so an outage costs log lines, not the gateway's memory.
 */
import type { Logger } from 'llm-gateway/plugin';
import type { UsageLogStats } from './usage-log.js';

export interface BatchOptions {
  /** Most records per batch (default 500). */
  maxBatch?: number;
  /** Longest a record waits for its batch to fill (default 1000 ms). */
  maxWaitMs?: number;
  /** Most records held; beyond it the oldest are dropped (default 100,000). */
  maxQueue?: number;
  /** Retries of a failed batch before it is given up (default 3). */
  retries?: number;
  /** First retry delay, doubled on each retry up to 30 s, with jitter (default 200 ms). */
  retryDelayMs?: number;
  /** Longest `flush()` waits before giving up and resolving (default 5000 ms). */
  flushTimeoutMs?: number;
  /** Longest one batch write may take before it counts as failed (default 15 000 ms). */
  writeTimeoutMs?: number;
}

/** Writes one batch; rejects when it could not. */
export type BatchSink<T> = (batch: T[]) => Promise<void>;

/** Drop warnings are rate-limited: an outage at 1k rps must not log 1k lines a second. */
const DROP_WARNING_INTERVAL_MS = 10_000;
/** Records shrunk in one turn of the event loop. */
const SHRINK_TURN = 256;
/** However many retries are configured, one wait never exceeds this. */
const MAX_RETRY_DELAY_MS = 30_000;

export class WriteBehindBatcher<T> {
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly maxQueue: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly flushTimeoutMs: number;
  private readonly writeTimeoutMs: number;

  /** Items live in queue[head..]; dropping or taking moves head, compaction is amortised. */
  private queue: T[] = [];
  private head = 0;
  private inFlight = 0;
  /** Records of a refused batch waiting while its first half is written again (`writeInHalves`). */
  private aside = 0;
  /**
   * Counts, in records. accepted = queued + inFlight + aside + written + failed + dropped, and records
   * settle in the order they were pushed (FIFO batches, oldest dropped first), so "everything
   * pushed before now is settled" is just `settled >= accepted-then`.
   */
  private accepted = 0;
  private written = 0;
  private failed = 0;
  private dropped = 0;
  /** Queued records due now although they do not fill a batch (the timer fired, or a flush wants them). */
  private due = 0;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | null = null;
  /** Flushes waiting for the settled count to reach theirs; called whenever it moves. */
  private readonly waiters = new Set<() => void>();
  private closed = false;
  /** Set when close() gave up: stop retrying, the database is about to go away. */
  private abandoned = false;
  private lastDropWarning = 0;
  /** The last write was put back for the database: records wait longer than a batch, so they are shrunk. */
  private databaseAway = false;

  constructor(
    private readonly sink: BatchSink<T>,
    private readonly logger: Logger,
    options: BatchOptions = {},
    /** Makes a record as small as it will be written, for the time it waits for a database that is away. */
    private readonly shrink: (item: T) => void = () => undefined,
  ) {
    this.maxBatch = atLeastOne(options.maxBatch ?? 500);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 1000);
    this.maxQueue = atLeastOne(options.maxQueue ?? 100_000);
    this.retries = Math.max(0, options.retries ?? 3);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 200);
    this.flushTimeoutMs = Math.max(0, options.flushTimeoutMs ?? 5000);
    this.writeTimeoutMs = atLeastOne(options.writeTimeoutMs ?? 15_000);
  }

  /** Queues one item; synchronous and never throws. */
  push(item: T): void {
    this.accepted++;
    if (this.closed) {
      this.drop(1, 'the usage log is closed; dropping records');
      return;
    }
    if (this.size >= this.maxQueue) {
      // Oldest first: the newest records are the ones an operator looks at during an incident.
      this.head++;
      this.drop(1, 'the usage log queue is full; dropping the oldest records');
    }
    if (this.databaseAway) this.shrink(item);
    this.queue.push(item);
    if (this.size >= this.maxBatch) void this.drain();
    else this.arm();
  }

  /**
   * Writes what is queued now; resolves once it is settled (written, failed or dropped), or when
   * the bounded wait is over. Records pushed meanwhile are not waited for, so a flush under
   * steady traffic still ends.
   */
  async flush(): Promise<void> {
    const target = this.accepted;
    if (this.settled >= target) return;
    let resolveSettled: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (resolveSettled = resolve));
    const check = () => {
      if (this.settled < target && !this.abandoned) return;
      this.waiters.delete(check);
      resolveSettled();
    };
    this.waiters.add(check);
    // The part of the queue older than the target, even if it does not fill a batch.
    this.due = Math.max(this.due, Math.min(this.size, target - this.settled - this.inFlight));
    void this.drain();
    if (!(await within(settled, this.flushTimeoutMs))) {
      this.waiters.delete(check);
      this.logger.warn('usage log flush timed out; records are still queued', { queued: this.stats().queued, timeoutMs: this.flushTimeoutMs });
    }
  }

  /** Flushes (bounded), then refuses new items; what could not be written is counted as dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    await this.flush();
    this.abandoned = true;
    const left = this.size;
    this.queue = [];
    this.head = 0;
    if (left > 0) {
      this.dropped += left;
      this.logger.warn('the usage log closed before some records were written; they are dropped', { records: left });
    }
    this.notify();
    // A write already under way finishes (or fails) on its own; wait briefly so the caller can
    // close the database after it rather than under it.
    if (this.draining) await within(this.draining, Math.min(this.flushTimeoutMs, 1000));
  }

  stats(): UsageLogStats {
    return { queued: this.size + this.inFlight + this.aside, written: this.written, failedWrites: this.failed, dropped: this.dropped };
  }

  private get settled(): number {
    return this.written + this.failed + this.dropped;
  }

  private get size(): number {
    return this.queue.length - this.head;
  }

  /** Starts the drain loop unless it runs; one loop at a time keeps batches in order. */
  private drain(): Promise<void> {
    this.disarm();
    this.draining ??= this.loop()
      .catch((error: unknown) => this.logger.error('usage log drain failed', { error: asError(error) }))
      .finally(() => {
        this.draining = null;
        // Something became due after the loop's last look (a flush between its end and now).
        if (this.due > 0 && this.size > 0 && !this.abandoned) void this.drain();
        else if (this.size > 0) this.arm();
      });
    return this.draining;
  }

  private async loop(): Promise<void> {
    // Full batches go at once; a partial one only when due, so a steady trickle is not written
    // one record per INSERT just because each write finishes before the next record arrives.
    while (!this.abandoned && (this.size >= this.maxBatch || (this.due > 0 && this.size > 0))) {
      const batch = this.take(this.maxBatch);
      this.due = Math.max(0, this.due - batch.length);
      const left = await this.write(batch);
      if (left.length === 0) {
        this.databaseAway = false;
        continue;
      }
      if (!this.databaseAway) {
        // From now on records wait for the database: those already queued too.
        this.databaseAway = true;
        void this.shrinkInTurns(this.queue.slice(this.head));
      }
      for (const item of left) this.shrink(item);
      this.keep(left);
      // The database is away: wait for the batch timer rather than spin.
      this.due = 0;
      return;
    }
    if (this.size === 0) this.due = 0;
  }

  /** Writes a batch; what it gives back waits in the queue for the database (empty: every record settled). */
  private async write(batch: T[]): Promise<T[]> {
    this.inFlight = batch.length;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await boundedWrite(this.sink(batch), this.writeTimeoutMs);
          this.written += batch.length;
          return [];
        } catch (error) {
          if ((attempt >= this.retries || this.abandoned) && isPassing(error) && !this.abandoned) {
            const message = isDiskFull(error)
              ? 'usage records could not be written: the disk under the usage log is full (or failing); they wait in the queue until there is room, the oldest dropped beyond maxQueue'
              : 'usage records could not be written yet; they wait in the queue for the database';
            this.logger.warn(message, { records: batch.length, tries: attempt + 1, queued: this.size + batch.length, maxQueue: this.maxQueue, error: asError(error) });
            return batch;
          }
          // Refused for what it holds: retried as it is, it would be refused again.
          const refused = refusesWhatItHolds(error);
          if (refused && batch.length > 1 && !this.abandoned) return await this.writeInHalves(batch);
          if (refused || attempt >= this.retries || this.abandoned) {
            this.failed += batch.length;
            this.logger.error('usage records could not be written; they are lost', { records: batch.length, tries: attempt + 1, error: asError(error) });
            return [];
          }
          this.logger.debug('usage batch failed; retrying', { records: batch.length, try: attempt + 1, error: asError(error) });
          await sleep(this.backoff(attempt));
        }
      }
    } finally {
      this.inFlight = 0;
      this.notify();
    }
  }

  /**
   * Shrinks records a few hundred at a time, letting requests run between: a busy gateway may have
   * tens of thousands queued when the database goes away, tens of microseconds each.
   */
  private async shrinkInTurns(records: readonly T[]): Promise<void> {
    for (let i = 0; i < records.length && this.databaseAway; i++) {
      if (i > 0 && i % SHRINK_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      this.shrink(records[i]!);
    }
  }

  /** A batch the database refused, written again as two, each refused in turn split again (about 2·log2(n) writes for one bad record). */
  private async writeInHalves(batch: T[]): Promise<T[]> {
    const middle = batch.length >> 1;
    const later = batch.slice(middle);
    this.aside += later.length;
    let left: T[];
    try {
      left = await this.write(batch.slice(0, middle));
    } finally {
      this.aside -= later.length;
    }
    // Closed meanwhile: the database is going away, as close() counts what it could not write.
    if (this.abandoned) {
      this.dropped += later.length + left.length;
      this.notify();
      return [];
    }
    // The database went away meanwhile: the rest waits too, in order.
    return left.length > 0 ? [...left, ...later] : this.write(later);
  }

  /** Exponential with jitter, so replicas that failed together do not retry in lockstep. */
  private backoff(attempt: number): number {
    return Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
  }

  /** Puts a batch back at the front of the queue, oldest first; the queue's bound still holds. */
  private keep(batch: T[]): void {
    this.queue = [...batch, ...this.queue.slice(this.head)];
    this.head = 0;
    const over = this.size - this.maxQueue;
    if (over > 0) {
      this.head += over;
      this.drop(over, 'the usage log queue is full; dropping the oldest records');
    }
  }

  private take(count: number): T[] {
    const batch = this.queue.slice(this.head, this.head + count);
    this.head += batch.length;
    this.compact();
    return batch;
  }

  /** Drops the consumed prefix once it is most of the array, keeping take and drop O(1) amortised. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private drop(count: number, reason: string): void {
    this.dropped += count;
    this.compact();
    this.notify();
    const now = Date.now();
    if (now - this.lastDropWarning >= DROP_WARNING_INTERVAL_MS) {
      this.lastDropWarning = now;
      this.logger.warn(reason, { droppedTotal: this.dropped, maxQueue: this.maxQueue });
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The batch timer: when it fires, whatever is queued is due. */
  private arm(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = Math.max(this.due, this.size);
      void this.drain();
    }, this.maxWaitMs);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function atLeastOne(value: number): number {
  return Math.max(1, Math.floor(value));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class WriteTimeout extends Error {
  constructor(ms: number) {
    super(`the usage log write took longer than ${ms} ms`);
    this.name = 'WriteTimeout';
  }
}

/** The write, or a WriteTimeout once `ms` passed (the write itself is left to finish or fail). */
async function boundedWrite(write: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  write.catch(() => undefined);
  try {
    await Promise.race([
      write,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WriteTimeout(ms)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** SQLSTATE classes that pass: connection exception, insufficient resources, operator intervention (a cancelled statement), rollback. */
const PASSING_SQLSTATE = /^(08|53|57|40)/;
const PASSING_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'SQLITE_BUSY', 'SQLITE_LOCKED']);
/**
 * A full (or failing) disk under a SQLite file: SQLITE_FULL, SQLITE_IOERR and its extended codes
 * (SQLITE_IOERR_WRITE, …), ENOSPC. It passes once the operator frees space, so the records wait,
 * bounded by the queue, as they do for a PostgreSQL that is away.
 */
const DISK_CODES = /^(SQLITE_FULL|SQLITE_IOERR(_\w+)?|ENOSPC|EIO)$/;

function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && DISK_CODES.test(code);
}

/**
 * A database's refusal of a value a record holds: PostgreSQL's data exceptions (22: a number out of
 * range, a bad character), integrity violations (23) and program limits (54: an index entry too
 * large); SQLite's TOOBIG, CONSTRAINT and MISMATCH. Every other record of the batch may be fine.
 */
const REFUSED_SQLSTATE = /^(22|23|54)[0-9A-Z]{3}$/;
const REFUSED_SQLITE = /^SQLITE_(TOOBIG|CONSTRAINT(_\w+)?|MISMATCH)$/;

function refusesWhatItHolds(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (REFUSED_SQLSTATE.test(code) || REFUSED_SQLITE.test(code));
}

/** Whether a write failed for a reason that passes (worth keeping the records), not a refusal of the records themselves. */
function isPassing(error: unknown): boolean {
  if (error instanceof WriteTimeout) return true;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') return PASSING_CODES.has(code) || isDiskFull(error) || (/^[0-9A-Z]{5}$/.test(code) && PASSING_SQLSTATE.test(code));
  // pg's own connection failures carry no code ("Connection terminated unexpectedly", "timeout exceeded when trying to connect").
  return /connection|timeout|terminated/i.test((error as Error)?.message ?? '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Whether `promise` settled within `ms`; the timer is unref'd so it never holds the process open. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
