/**
 * `/admin/logs/export`'s stream over a real SQLite log: every matching record once, newest first,
 * across pages, up to `max`, as NDJSON or CSV; bad parameters refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { exportFormat, exportMax, exportRecords } from '../../../plugins/usage-logger/export.js';
import { openUsageLog } from '../../../plugins/usage-logger/log/open-usage-log.js';
import type { UsageLog } from '../../../plugins/usage-logger/log/usage-log.js';
import { DAY1, usageRecord } from './log/records.js';

let log: UsageLog;
const RECORDS = 1_203;

beforeAll(async () => {
  log = await openUsageLog('sqlite::memory:', { logger: silentLogger, batch: { maxBatch: 5000, maxWaitMs: 60_000 } });
  for (let i = 0; i < RECORDS; i++) {
    log.write(usageRecord({ startedAt: new Date(DAY1 + i * 1000), keyId: i % 3 === 0 ? 'key-b' : 'key-a', requestBody: `{"n":${i}}`, metadata: i === 0 ? { owner: 'ops' } : null, ...(i === 0 ? { requestedModel: '=HYPERLINK("x")' } : {}) }));
  }
  await log.flush();
});
afterAll(() => log?.close());

async function read(stream: NodeJS.ReadableStream, chunks: string[] = []): Promise<string> {
  for await (const chunk of stream) chunks.push(String(chunk));
  return chunks.join('');
}

describe('the log export', () => {
  it('sends every matching record once, newest first, across pages, with its bodies, as NDJSON', async () => {
    const lines = (await read(await exportRecords(log, {}, 'ndjson', 100_000, silentLogger))).trimEnd().split('\n');
    expect(lines).toHaveLength(RECORDS);
    const records = lines.map((line) => JSON.parse(line) as { requestId: string; startedAt: string; requestBody: string });
    expect(new Set(records.map((r) => r.requestId)).size).toBe(RECORDS);
    expect(records[0]!.startedAt).toBe(new Date(DAY1 + (RECORDS - 1) * 1000).toISOString());
    expect(records.at(-1)!.requestBody).toBe('{"n":0}');
    const filtered = (await read(await exportRecords(log, { keyId: 'key-b' }, 'ndjson', 100_000, silentLogger))).trimEnd().split('\n');
    expect(filtered).toHaveLength(Math.ceil(RECORDS / 3));
  });

  it('serialises a page 25 records at a time, not the page at once, which would hold the event loop', async () => {
    const chunks: string[] = [];
    await read(await exportRecords(log, {}, 'ndjson', 100_000, silentLogger), chunks);
    expect(chunks).toHaveLength(Math.ceil(500 / 25) * 2 + Math.ceil(203 / 25));
    expect(Math.max(...chunks.map((chunk) => chunk.split('\n').length - 1))).toBe(25);
  });

  it('stops at max, also within a page', async () => {
    for (const max of [1, 500, 700]) {
      const lines = (await read(await exportRecords(log, {}, 'ndjson', max, silentLogger))).trimEnd().split('\n');
      expect(lines, String(max)).toHaveLength(max);
    }
  });

  it('writes CSV without bodies, one line a record, its attempts and metadata as JSON, formulas defused', async () => {
    const lines = (await read(await exportRecords(log, {}, 'csv', 100_000, silentLogger))).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(RECORDS + 2);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['requestId', 'startedAt', 'endpoint']);
    expect(header).not.toContain('requestBody');
    const oldest = lines.at(-2)!;
    expect(oldest).toContain(`,${new Date(DAY1).toISOString()},chat.completions,`);
    expect(oldest).toContain('"[{""provider"":""openai""');
    expect(oldest.endsWith(`,"{""owner"":""ops""}"`)).toBe(true);
    expect(oldest).toContain(`,"'=HYPERLINK(""x"")",`);
  });

  it('refuses a format or a max it does not know', () => {
    expect(exportFormat(undefined)).toBe('ndjson');
    expect(() => exportFormat('xlsx')).toThrow("format must be 'ndjson' or 'csv'.");
    expect(exportMax(undefined)).toBe(100_000);
    for (const bad of ['0', '-1', '1.5', 'all', '1000001']) expect(() => exportMax(bad), bad).toThrow(/^max must be an integer/);
  });
});
