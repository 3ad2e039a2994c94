/**
 * CSV (RFC 4180) for a spreadsheet or a chargeback script: usage aggregates
 * (`/admin/usage?format=csv`, the dashboard's download link: one header row, then one row a group
 * and bucket, columns in the order the query asked for them) and records (`/admin/logs/export`).
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
  return [columns.join(','), ...rows.map((row) => csvLine(columns.map((column) => row[column])))].map((line) => `${line}\r\n`).join('');
}

/** One CSV line (without its CRLF) of these values, each as `cell` writes it. */
export function csvLine(values: readonly unknown[]): string {
  return values.map(cell).join(',');
}

/** A value as a CSV cell: dates as ISO, null as empty, objects as JSON, text quoted where it must be and defused where a spreadsheet would run it. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
