/**
 * The write-behind queue on its own, with a fake sink: batching by size and time, retries then
 * failure, the queue bound, the bounded flush, and timers that never hold the process open.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../../../../core/logger.js';
import { WriteBehindBatcher, type BatchOptions } from '../../../../plugins/usage-logger/log/batcher.js';

function recordingSink(behaviour: (batch: number[], call: number) => Promise<void> = async () => undefined) {
  const batches: number[][] = [];
  let calls = 0;
  const sink = async (batch: number[]) => {
    calls++;
    await behaviour(batch, calls);
    batches.push(batch);
  };
  return { sink, batches, calls: () => calls };
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; [field: string]: unknown }> = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const batchers: Array<WriteBehindBatcher<number>> = [];
function batcher(sink: (batch: number[]) => Promise<void>, options: BatchOptions, logger = silentLogger) {
  const created = new WriteBehindBatcher(sink, logger, options);
  batchers.push(created);
  return created;
}
const closeAfter: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all([...batchers.splice(0), ...closeAfter.splice(0)].map((b) => b.close()));
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('write-behind batcher', () => {
  it('writes full batches at once, in order, and the remainder on flush', async () => {
    const { sink, batches } = recordingSink();
    const queue = batcher(sink, { maxBatch: 500, maxWaitMs: 60_000 });
    for (const n of range(0, 1200)) queue.push(n);
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    expect(queue.stats()).toEqual({ queued: 200, written: 1000, failedWrites: 0, dropped: 0 });
    await queue.flush();
    expect(batches.map((b) => b.length)).toEqual([500, 500, 200]);
    expect(batches.flat()).toEqual(range(0, 1200));
    expect(queue.stats()).toEqual({ queued: 0, written: 1200, failedWrites: 0, dropped: 0 });
  });

  it('collects a trickle of records into batches by time, not one write per record', async () => {
    const { sink, batches } = recordingSink();
    const queue = batcher(sink, { maxBatch: 500, maxWaitMs: 40 });
    for (const n of range(0, 50)) {
      queue.push(n);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await queue.flush();
    expect(batches.flat()).toEqual(range(0, 50));
    expect(batches.length).toBeLessThanOrEqual(10);
  });

  it('retries a failed batch with backoff and counts it written when a retry succeeds', async () => {
    const { sink, batches, calls } = recordingSink(async (_batch, call) => {
      if (call <= 2) throw new Error(`transient ${call}`);
    });
    const queue = batcher(sink, { retries: 3, retryDelayMs: 5 });
    queue.push(1);
    queue.push(2);
    await queue.flush();
    expect(calls()).toBe(3);
    expect(batches).toEqual([[1, 2]]);
    expect(queue.stats()).toEqual({ queued: 0, written: 2, failedWrites: 0, dropped: 0 });
  });

  it('gives up after the retries, counts the records as failed and logs once', async () => {
    const { logger, lines } = recordingLogger();
    const { sink, calls } = recordingSink(async () => {
      throw new Error('database is down');
    });
    const queue = batcher(sink, { retries: 2, retryDelayMs: 1 }, logger);
    for (const n of range(0, 3)) queue.push(n);
    await queue.flush();
    expect(calls()).toBe(3);
    expect(queue.stats()).toEqual({ queued: 0, written: 0, failedWrites: 3, dropped: 0 });
    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ message: 'usage records could not be written; they are lost', records: 3, tries: 3, error: 'Error: database is down' })]);
  });

  it('drops the oldest records beyond the bound, counts them and warns without flooding', async () => {
    const { logger, lines } = recordingLogger();
    const { sink, batches } = recordingSink();
    const queue = batcher(sink, { maxQueue: 5, maxWaitMs: 60_000 }, logger);
    for (const n of range(0, 20)) queue.push(n);
    expect(queue.stats()).toEqual({ queued: 5, written: 0, failedWrites: 0, dropped: 15 });
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    await queue.flush();
    expect(batches.flat()).toEqual([15, 16, 17, 18, 19]);
  });

  it('stays bounded over a long outage: memory holds maxQueue records, the rest are counted', async () => {
    const { sink } = recordingSink(() => new Promise(() => undefined)); // a write that never returns
    const queue = batcher(sink, { maxQueue: 1000, maxBatch: 100, flushTimeoutMs: 50 });
    for (const n of range(0, 100_000)) queue.push(n);
    const stats = queue.stats();
    expect(stats.queued).toBe(1000 + 100); // the queue, plus the batch stuck in the database
    expect(stats.dropped).toBe(100_000 - 1100);
  });

  it('resolves flush at its bound when the database hangs, and counts what it left', async () => {
    const { logger, lines } = recordingLogger();
    const { sink } = recordingSink(() => new Promise(() => undefined));
    const queue = batcher(sink, { maxBatch: 2, flushTimeoutMs: 100 }, logger);
    for (const n of range(0, 5)) queue.push(n);
    const started = Date.now();
    await queue.flush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(queue.stats().queued).toBe(5);
    expect(lines.some((line) => line.message.includes('flush timed out'))).toBe(true);
    await queue.close();
    expect(queue.stats()).toMatchObject({ written: 0, dropped: 3 });
  });

  it('ends a flush once what was queued at the call is written, even while traffic continues', async () => {
    const { logger, lines } = recordingLogger();
    const { sink, batches } = recordingSink(() => new Promise((resolve) => setTimeout(resolve, 10)));
    const queue = batcher(sink, { maxBatch: 5, maxWaitMs: 60_000, flushTimeoutMs: 5000 }, logger);
    for (const n of range(0, 12)) queue.push(n);
    let next = 12;
    const traffic = setInterval(() => queue.push(next++), 1);
    try {
      const started = Date.now();
      await queue.flush();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      clearInterval(traffic);
    }
    expect(batches.flat().slice(0, 12)).toEqual(range(0, 12));
    expect(lines.some((line) => line.message.includes('flush timed out'))).toBe(false);
  });

  it('refuses (and counts) records pushed after close, without throwing', async () => {
    const { sink, batches } = recordingSink();
    const queue = batcher(sink, { maxWaitMs: 60_000 });
    queue.push(1);
    await queue.close();
    expect(batches).toEqual([[1]]);
    expect(() => queue.push(2)).not.toThrow();
    expect(queue.stats()).toEqual({ queued: 0, written: 1, failedWrites: 0, dropped: 1 });
  });

  it('unrefs its timers so a queue never keeps the process alive', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const { sink } = recordingSink(async (_batch, call) => {
      if (call === 1) throw new Error('once');
    });
    const queue = batcher(sink, { maxWaitMs: 10, retryDelayMs: 5 });
    queue.push(1);
    await vi.waitFor(() => expect(queue.stats().written).toBe(1));
    const created = timers.mock.results.map((result) => result.value as NodeJS.Timeout);
    expect(created.length).toBeGreaterThanOrEqual(2); // the batch timer and the retry wait
    expect(created.every((timer) => !timer.hasRef())).toBe(true);
  });
});

describe('a hung or absent database', () => {
  afterEach(() => vi.useRealTimers());

  it('a write that never answers times out, and the batch is kept and written later, not lost', async () => {
    vi.useFakeTimers();
    let hang = true;
    const { sink, batches } = recordingSink(() => (hang ? new Promise<void>(() => undefined) : Promise.resolve()));
    const queue = batcher(sink, { maxBatch: 2, maxWaitMs: 100, writeTimeoutMs: 1000, retries: 1, retryDelayMs: 10 });
    queue.push(1);
    queue.push(2);
    await vi.advanceTimersByTimeAsync(2500);
    expect(queue.stats()).toEqual({ queued: 2, written: 0, failedWrites: 0, dropped: 0 });
    hang = false;
    // The try under way when it came back still times out; the next one writes.
    await vi.advanceTimersByTimeAsync(2500);
    expect(batches).toEqual([[1, 2]]);
    expect(queue.stats()).toEqual({ queued: 0, written: 2, failedWrites: 0, dropped: 0 });
  });

  it('kept batches stay within the queue bound, oldest dropped first', async () => {
    vi.useFakeTimers();
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { sink } = recordingSink(() => Promise.reject(down));
    const queue = batcher(sink, { maxBatch: 2, maxWaitMs: 100, maxQueue: 3, retries: 0 });
    for (const n of range(0, 5)) queue.push(n);
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.stats()).toMatchObject({ queued: 3, failedWrites: 0, dropped: 2 });
  });
});

describe('write-behind batcher, a record the database refuses', () => {
  it('loses only that record: the batch is written again in halves, down to the one refused', async () => {
    const { logger, lines } = recordingLogger();
    const refused = Object.assign(new Error('value "3000000000" is out of range for type integer'), { code: '22003' });
    const { sink, batches } = recordingSink(async (batch) => {
      if (batch.includes(5)) throw refused;
    });
    const queue = batcher(sink, { retries: 2, retryDelayMs: 1 }, logger);
    for (const n of range(0, 8)) queue.push(n);
    await queue.flush();
    expect(queue.stats()).toEqual({ queued: 0, written: 7, failedWrites: 1, dropped: 0 });
    // Halves, then quarters, then the one record, which is not retried: it would be refused again.
    // Never a record written twice.
    expect(batches.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(lines.filter((line) => line.level === 'error')).toEqual([expect.objectContaining({ message: 'usage records could not be written; they are lost', records: 1, tries: 1 })]);
  });

  it('a batch refused for a reason that is not its records is not split', async () => {
    const { sink, calls } = recordingSink(async () => {
      throw new Error('database is down');
    });
    const queue = batcher(sink, { retries: 1, retryDelayMs: 1 });
    for (const n of range(0, 8)) queue.push(n);
    await queue.flush();
    expect(calls()).toBe(2);
    expect(queue.stats()).toEqual({ queued: 0, written: 0, failedWrites: 8, dropped: 0 });
  });
});

describe('write-behind batcher, while the database is away', () => {
  it('shrinks the records that wait for it: those put back, those already queued and those pushed since; not before', async () => {
    let away = true;
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const written: Array<{ n: number; shrunk: boolean }> = [];
    const queue = new WriteBehindBatcher<{ n: number; shrunk: boolean }>(
      async (batch) => {
        if (away) throw down;
        written.push(...batch);
      },
      silentLogger,
      { maxBatch: 2, retries: 0, retryDelayMs: 1, maxWaitMs: 5 },
      (item) => void (item.shrunk = true),
    );
    closeAfter.push(queue);
    const items = range(0, 5).map((n) => ({ n, shrunk: false }));
    for (const item of items.slice(0, 3)) queue.push(item);
    await expect.poll(() => items[0]!.shrunk, { timeout: 2000 }).toBe(true);
    expect(items.slice(0, 3).map((item) => item.shrunk)).toEqual([true, true, true]);
    queue.push(items[3]!);
    expect(items[3]!.shrunk).toBe(true);
    away = false;
    await expect.poll(() => written.length, { timeout: 5000 }).toBe(4);
    // Back: records are kept as they come again.
    queue.push(items[4]!);
    await queue.flush();
    expect(items[4]!.shrunk).toBe(false);
  });
});
