/**
 * `/admin/logs/export`: every record a filter matches, newest first, as NDJSON (whole records,
 * bodies included) or CSV (one line a record, without bodies), streamed a page at a time as the
 * client reads, so an export of a month holds one page in memory, not the month. The pages follow
 * the log's cursor, so no record is sent twice; one written while the export runs may be left out.
 * At most `max` records (default 100 000).
 */
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { invalidRequest, type Logger } from 'llm-gateway/plugin';
import { csvLine } from './csv.js';
import type { UsageRecord } from './log/record.js';
import type { LogQuery, UsageLog } from './log/usage-log.js';

export type ExportFormat = 'ndjson' | 'csv';

export const DEFAULT_EXPORT_MAX = 100_000;
export const EXPORT_MAX = 1_000_000;
const PAGE = 500;
/**
 * Records serialised in one go: a page of 500 with 16 KB bodies took 135–290 ms of the event loop
 * (every request in flight waiting behind it); 25 at a time, with a turn of the loop between, keep
 * each step near a millisecond or two, as the usage log's writes are kept.
 */
const SLICE = 25;

/** The CSV's columns: every field of a record but its bodies; attempts and metadata as JSON. */
const CSV_COLUMNS = [
  'requestId', 'startedAt', 'endpoint', 'keyId', 'team', 'requestedModel', 'provider', 'model', 'status', 'outcome',
  'promptTokens', 'completionTokens', 'cachedTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'reasoningTokens', 'tokensEstimated',
  'costUsd', 'savedCostUsd', 'latencyMs', 'ttftMs', 'cache', 'stream', 'errorCode', 'attempts', 'metadata',
] as const satisfies ReadonlyArray<keyof UsageRecord>;

export function exportFormat(value: string | undefined): ExportFormat {
  if (value === undefined || value === 'ndjson') return 'ndjson';
  if (value === 'csv') return 'csv';
  throw invalidRequest("format must be 'ndjson' or 'csv'.", 'format');
}

export function exportMax(value: string | undefined): number {
  if (value === undefined) return DEFAULT_EXPORT_MAX;
  const max = Number(value);
  if (!Number.isInteger(max) || max < 1 || max > EXPORT_MAX) throw invalidRequest(`max must be an integer from 1 to ${EXPORT_MAX}.`, 'max');
  return max;
}

/** The export as a stream: the first page is read before it is returned, so a failing log is an error answer, not a cut one. */
export async function exportRecords(log: UsageLog, query: LogQuery, format: ExportFormat, max: number, logger: Logger): Promise<Readable> {
  const line = (record: UsageRecord) => (format === 'csv' ? `${csvLine(CSV_COLUMNS.map((column) => record[column]))}\r\n` : `${JSON.stringify(record)}\n`);
  // The page in hand is the generator's only hold on records: the one before it is let go.
  async function* lines(page: Awaited<ReturnType<UsageLog['list']>>): AsyncGenerator<string> {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
    let sent = 0;
    for (;;) {
      const records = page.records.slice(0, max - sent);
      // A chunk a slice: a write a record would cost more than the record's text, a page at once holds the loop too long.
      for (let at = 0; at < records.length; at += SLICE) {
        if (at > 0) await nextTurn();
        yield records.slice(at, at + SLICE).map(line).join('');
      }
      sent += records.length;
      if (sent >= max || !page.nextCursor) return;
      page = await log.list({ ...query, cursor: page.nextCursor, limit: Math.min(PAGE, max - sent) });
    }
  }
  // A CSV line holds no body: they are not read.
  if (format === 'csv') query = { ...query, bodies: false };
  const stream = Readable.from(lines(await log.list({ ...query, limit: Math.min(PAGE, max) })), { objectMode: false });
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // A client that stops reading (closed the download) is not a failure of the log.
    if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn('usage log export cut short', { error: error.message });
  });
  return stream;
}
