/**
 * Usage aggregates as CSV (RFC 4180), for a spreadsheet or a chargeback script:
 * `/admin/usage?format=csv` and the dashboard's download link. One header row, then one row a
 * group and bucket, columns in the order the query asked for them.
 *
 * A text cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a carriage
 * return first) is written with a `'` before it: names in the log can come from clients (a
 * requested model, a team), and opened in a spreadsheet such a cell would run (OWASP "CSV
 * injection").
 */
import type { UsageAggregate, UsageQuery } from './log/usage-log.js';

type Column = keyof UsageAggregate;

const MEASURES: readonly Column[] = [
  'requests',
  'errors',
  'cacheHits',
  'promptTokens',
  'completionTokens',
  'cachedTokens',
  'cacheWriteTokens',
  'cacheWrite1hTokens',
  'reasoningTokens',
  'costUsd',
  'unpricedRequests',
  'avgLatencyMs',
  'avgTtftMs',
];
const PERCENTILES: readonly Column[] = ['p50LatencyMs', 'p95LatencyMs', 'p50TtftMs', 'p95TtftMs'];

/** The columns of a query's answer: its bucket, its groups in the order asked, then every measure. */
export function usageColumns(query: Pick<UsageQuery, 'bucket' | 'groupBy' | 'percentiles'>): Column[] {
  return [...(query.bucket ? (['bucket'] as const) : []), ...(query.groupBy ?? []), ...MEASURES, ...(query.percentiles ? PERCENTILES : [])];
}

export function usageCsv(rows: readonly UsageAggregate[], columns: readonly Column[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((column) => cell(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
