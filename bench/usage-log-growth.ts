/**
 * `npm run bench:usage-log-growth -- [ordered|random] [rows]`: what a usage row costs as the log
 * grows. Writes `rows` records (default 200,000) with the bench's small bodies into a new SQLite
 * file, in batches of 500, and reports every 20,000 rows the CPU a row (the whole process:
 * sqlite3 runs statements in libuv's pool) and the write system calls a row (`/proc/self/io`,
 * Linux). `ordered` keys the rows as the gateway does (UUID version 7, core/http/request-id.ts);
 * `random` as it did before, and as clients' own `x-request-id`s may (UUID version 4): a random
 * primary key writes to pages all over its index, and more of them as the log grows.
 * BENCH_USAGE_LOG=<url> writes elsewhere (a `postgres://` URL; BENCH_USAGE_LOG_SCHEMA its schema).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRequestId } from '../core/http/request-id.js';
import { silentLogger } from '../core/logger.js';
import { openUsageLog } from '../plugins/usage-logger/log/open-usage-log.js';
import { benchUsageRecord } from './usage-record.js';

const [order = 'ordered', count = '200000'] = process.argv.slice(2);
if (order !== 'ordered' && order !== 'random') throw new Error(`ordered or random, not "${order}"`);
const rows = Number(count);
const STEP = 20_000;
const BATCH = 500;
const id = order === 'ordered' ? () => newRequestId() : () => randomUUID();
const body = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'Benchmark the gateway with a short prompt, please.' }] });

const record = () => benchUsageRecord(id(), body, body);

const writeSyscalls = () => Number(/syscw:\s+(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
const dir = mkdtempSync(join(tmpdir(), 'llm-gateway-usage-growth-'));
const url = process.env.BENCH_USAGE_LOG ?? `sqlite://${join(dir, 'usage.sqlite')}`;
const schema = process.env.BENCH_USAGE_LOG_SCHEMA;
const log = await openUsageLog(url, { logger: silentLogger, ...(schema ? { schema } : {}) });
try {
  for (let done = 0; done < rows; done += STEP) {
    const cpu = process.cpuUsage();
    const writes = writeSyscalls();
    const started = performance.now();
    for (let i = 1; i <= STEP; i++) {
      log.write(record());
      if (i % BATCH === 0) await log.flush();
    }
    await log.flush();
    const used = process.cpuUsage(cpu);
    const perRow = (value: number) => (value / STEP).toFixed(1);
    process.stdout.write(`${order} ids, rows ${done}–${done + STEP}: ${perRow(used.user + used.system)} µs of CPU a row, ${((writeSyscalls() - writes) / STEP).toFixed(2)} write syscalls a row, ${perRow((performance.now() - started) * 1000)} µs of wall time\n`);
  }
} finally {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}
