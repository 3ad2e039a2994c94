/**
 * `npm run bench:usage-log`: how long the usage log holds the event loop while it writes a batch,
 * the stall every request in flight waits out. Writes batches of 500 records with request and
 * response bodies (serialised, capped and redacted in the batch, as `bodies: { request, response }`
 * does) to a SQLite file, and reports per batch: the longest single `write()` (the one that fills
 * a batch used to do the whole batch's work), the longest gap between two event-loop turns while
 * the batch is written, how long the batch took, and what a record cost: CPU on the main thread
 * (the requests' thread: event-loop busy time) and in all threads (sqlite3 runs statements in
 * libuv's pool), per record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/logger.js';
import { openUsageLog } from '../plugins/usage-logger/log/open-usage-log.js';
import { cap, createRedactor } from '../plugins/usage-logger/redact.js';
import { benchUsageRecord } from './usage-record.js';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 6);
const PER_BATCH = 500;
const redact = createRedactor([]);
const body = (value: unknown) => () => redact(cap(JSON.stringify(value), 16_384));
const request = { model: 'mock/mock-small', messages: [{ role: 'user', content: 'Summarise this for me, please: '.repeat(12) }] };
const answer = { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Here is the summary. '.repeat(12) }, finish_reason: 'stop' }] };

let sequence = 0;
const record = () => benchUsageRecord(`bench-${++sequence}-${Date.now()}`, body(request), body(answer));

const dir = mkdtempSync(join(tmpdir(), 'usage-log-stall-'));
const log = await openUsageLog(`sqlite://${join(dir, 'usage.sqlite')}`, { logger: silentLogger });
try {
  for (let batch = 0; batch < BATCHES; batch++) {
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 0);
    let longestWrite = 0;
    const busyBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < PER_BATCH; i++) {
      const before = performance.now();
      log.write(record());
      longestWrite = Math.max(longestWrite, performance.now() - before);
    }
    last = performance.now();
    await log.flush();
    clearInterval(ticker);
    longestGap = Math.max(longestGap, longestWrite);
    const mainUs = (performance.eventLoopUtilization(busyBefore).active * 1000) / PER_BATCH;
    const cpu = process.cpuUsage(cpuBefore);
    const allUs = (cpu.user + cpu.system) / PER_BATCH;
    const line =
      `batch ${batch + 1}: longest write() ${longestWrite.toFixed(1)} ms · longest event-loop gap ${longestGap.toFixed(1)} ms · ` +
      `written in ${(performance.now() - started).toFixed(0)} ms · per record: ${mainUs.toFixed(0)} µs on the main thread, ${allUs.toFixed(0)} µs in all threads`;
    // The first batch warms the JIT up.
    process.stdout.write(`${batch === 0 ? `${line} (warm-up)` : line}\n`);
  }
} finally {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}
