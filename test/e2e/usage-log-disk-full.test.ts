/**
 * The disk under the SQLite usage log fills up (application logs, a core dump, the WAL itself),
 * and the operator frees space. Before its fix, SQLITE_FULL was taken for a refusal of the records
 * themselves: after three quick retries the batch was counted as failed and logged as "lost",
 * while a PostgreSQL that is away keeps its records in the queue until it answers. Now a full (or
 * failing) disk is a passing failure: the records wait in the bounded queue, the log says the disk
 * is full, and they are written once there is room. A disk that never comes back still ends: the
 * queue drops its oldest records beyond maxQueue, and close() counts what is left as dropped.
 * The real disk is a 2 MiB tmpfs (needs root; skipped otherwise, saying so); the bound is checked
 * on the queue itself with a sink that always answers SQLITE_FULL.
 */
import { execSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { WriteBehindBatcher } from '../../plugins/usage-logger/log/batcher.js';
import { openUsageLog } from '../../plugins/usage-logger/log/open-usage-log.js';
import { usageRecord } from '../plugins/usage-logger/log/records.js';

const MOUNT = `/tmp/usage-log-disk-full-${process.pid}`;
let mounted = false;
let whyNot = '';

beforeAll(() => {
  try {
    mkdirSync(MOUNT, { recursive: true });
    execSync(`mount -t tmpfs -o size=2m tmpfs ${MOUNT}`, { stdio: 'ignore' });
    mounted = true;
  } catch (error) {
    whyNot = `cannot mount a 2 MiB tmpfs at ${MOUNT} (needs root: uid ${process.getuid?.()}): ${(error as Error).message.split('\n')[0]}`;
  }
});
afterAll(() => {
  if (mounted) execSync(`umount ${MOUNT}`, { stdio: 'ignore' });
  rmSync(MOUNT, { recursive: true, force: true });
});

/** Fills the file system up to the last byte; returns the filler's path. */
function fill(): string {
  const path = join(MOUNT, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
  return path;
}

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', write: (line) => lines.push(line) }) };
}

describe('a full disk under the SQLite usage log', () => {
  it('keeps the records in the queue, says the disk is full, and writes them once there is room', async (context) => {
    if (!mounted) {
      console.warn(`skipped: ${whyNot}`);
      context.skip();
    }
    const { lines, logger } = capture();
    const log = await openUsageLog(`sqlite://${join(MOUNT, 'usage.sqlite')}`, { logger, batch: { maxBatch: 50, maxWaitMs: 20 } });
    try {
      log.write(usageRecord());
      await expect.poll(() => log.stats().written, { timeout: 5000 }).toBe(1);
      const filler = fill();
      const big = 'x'.repeat(20_000); // rows that need new pages
      for (let i = 0; i < 40; i++) log.write(usageRecord({ metadata: { note: big } } as never));
      await new Promise((r) => setTimeout(r, 3000)); // well past the batcher's retries
      expect(log.stats()).toMatchObject({ queued: 40, written: 1, failedWrites: 0, dropped: 0 });
      expect(lines.some((l) => /WARN .*the disk under the usage log is full.*wait in the queue/.test(l))).toBe(true);
      expect(lines.filter((l) => /they are lost/.test(l))).toEqual([]);

      rmSync(filler); // the operator frees space
      await expect.poll(() => log.stats().queued, { timeout: 10_000, interval: 200 }).toBe(0);
      expect(log.stats()).toMatchObject({ written: 41, failedWrites: 0, dropped: 0 });
    } finally {
      await log.close();
    }
  }, 30_000);

  it('a disk that never comes back costs the oldest records beyond the queue bound, and close() ends', async () => {
    const { lines, logger } = capture();
    const full = Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL', errno: 13 });
    let tries = 0;
    const queue = new WriteBehindBatcher<number>(async () => {
      tries++;
      throw full;
    }, logger, { maxBatch: 5, maxWaitMs: 10, maxQueue: 20, retries: 1, retryDelayMs: 1, flushTimeoutMs: 200 });
    for (let n = 0; n < 50; n++) queue.push(n);
    await expect.poll(() => tries, { timeout: 2000 }).toBeGreaterThan(4);
    expect(queue.stats()).toMatchObject({ queued: 20, written: 0, failedWrites: 0, dropped: 30 });
    expect(lines.some((l) => /queue is full; dropping the oldest records/.test(l))).toBe(true);

    const started = Date.now();
    await queue.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(queue.stats()).toMatchObject({ queued: 0, written: 0, failedWrites: 0, dropped: 50 });
    expect(lines.some((l) => /closed before some records were written; they are dropped/.test(l))).toBe(true);
  });

  it('an extended I/O error (SQLITE_IOERR_WRITE) waits too, a refusal of the records is still lost at once', async () => {
    const { lines, logger } = capture();
    const answers = [Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), Object.assign(new Error('SQLITE_CONSTRAINT: NOT NULL'), { code: 'SQLITE_CONSTRAINT' })];
    let failing: Error | undefined = answers[0];
    const queue = new WriteBehindBatcher<number>(async () => {
      if (failing) throw failing;
    }, logger, { maxBatch: 2, maxWaitMs: 10, retries: 0, flushTimeoutMs: 200 });
    queue.push(1);
    queue.push(2);
    await expect.poll(() => lines.some((l) => /disk under the usage log is full/.test(l)), { timeout: 2000 }).toBe(true);
    expect(queue.stats()).toMatchObject({ queued: 2, failedWrites: 0 });
    failing = undefined;
    await expect.poll(() => queue.stats().written, { timeout: 2000 }).toBe(2);

    failing = answers[1];
    queue.push(3);
    queue.push(4);
    await expect.poll(() => queue.stats().failedWrites, { timeout: 2000 }).toBe(2);
    await queue.close();
  });
});
