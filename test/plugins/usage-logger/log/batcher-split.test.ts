/**
 * The usage log's batcher writing a refused batch in halves.
 *
 * Before their fixes (a review of the day's own change, bf390cc):
 * 1. close() during a split: the second half was still sent to the sink after close() had
 *    returned, into a database the caller had closed, and its records counted failed rather than
 *    dropped. A split now stops once the batcher is abandoned, counting the rest as dropped.
 * 2. A single record refused for what it holds was still retried with backoff: a batch whose every
 *    record is refused cost (2n-1) + n·retries writes and seconds of backoff, holding the drain
 *    loop past flush()'s timeout. Such a record now fails at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { WriteBehindBatcher } from '../../../../plugins/usage-logger/log/batcher.js';

const refused = () => Object.assign(new Error('value "3000000000" is out of range for type integer'), { code: '22003' });
const closeAfter: Array<WriteBehindBatcher<number>> = [];
afterEach(async () => {
  await Promise.all(closeAfter.splice(0).map((b) => b.close()));
});

describe('write-behind batcher, splitting a refused batch', () => {
  it('does not call the sink after close() has returned, when close() came during a split', async () => {
    let calls = 0;
    let releaseSlowWrite: () => void = () => undefined;
    const slowWrite = new Promise<void>((resolve) => (releaseSlowWrite = resolve));
    const sink = async (batch: number[]) => {
      calls++;
      if (batch.length > 1) throw refused(); // the batch holds a value the database refuses
      if (batch[0] === 0) await slowWrite; // its first half is slow to write
    };
    const queue = new WriteBehindBatcher<number>(sink, silentLogger, { maxBatch: 2, retries: 0, flushTimeoutMs: 50, writeTimeoutMs: 60_000 });
    queue.push(0);
    queue.push(1); // a full batch: written at once, refused, split; [0] is being written
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(2);

    await queue.close(); // gives up on the slow write; the caller closes its database now
    const callsWhenClosed = calls;
    releaseSlowWrite();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ sinkCallsAfterClose: calls - callsWhenClosed }).toEqual({ sinkCallsAfterClose: 0 });
  });

  it('a batch whose every record is refused settles within the flush timeout, as it did before the split', async () => {
    let calls = 0;
    const sink = async () => {
      calls++;
      throw refused();
    };
    const queue = new WriteBehindBatcher<number>(sink, silentLogger, { maxBatch: 16, maxWaitMs: 10_000, retries: 3, retryDelayMs: 100, flushTimeoutMs: 3000 });
    closeAfter.push(queue);
    for (let n = 0; n < 16; n++) queue.push(n);
    await queue.flush();
    expect({ stats: queue.stats(), writes: calls }).toEqual({ stats: { queued: 0, written: 0, failedWrites: 16, dropped: 0 }, writes: expect.any(Number) });
  }, 20_000);
});
