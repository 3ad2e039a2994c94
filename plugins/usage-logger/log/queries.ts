/**
 * The SQL both backends run, built once over a small dialect (bind parameters, how a time and a
 * boolean are bound, the time-bucket expression). Keeping one builder keeps the two backends'
 * answers identical: same filters, same ordering, same nearest-rank percentiles.
 */
import type { UsageRecord } from './record.js';
import { BODY_COLUMNS, USAGE_COLUMNS, indexedText, numberOrNull, time, type Row, type UsageColumn, type ValueEncoding } from './rows.js';
import type { LogQuery, StatusClass, UsageAggregate, UsageBucket, UsageFilter, UsageGroupKey, UsageQuery } from './usage-log.js';

export interface Dialect extends ValueEncoding {
  /**
   * The placeholder of the n-th (1-based) bind parameter. Builders here add values in the order
   * their placeholders appear in the text, so a dialect may ignore n (SQLite's anonymous `?`).
   */
  param(n: number): string;
  /** Start of the UTC hour or day containing `started_at`, in the column's own type. */
  bucket(unit: UsageBucket): string;
  /**
   * Percentiles as ordered-set aggregates (`percentile_disc`, PostgreSQL) rather than window
   * functions (SQLite has no percentile aggregate). Both are nearest-rank: the same answer. On
   * PostgreSQL the windows sorted a month of three million rows twice inside a CTE and ran past
   * the 10 s statement timeout, failing the dashboard's 30-day Overview; the aggregates took 2.7 s.
   */
  orderedSetPercentiles?: boolean;
}

export interface Statement {
  text: string;
  values: unknown[];
  /**
   * Set on a statement run again and again with the same text (the batch INSERT): the backend
   * prepares it once per connection under this name instead of parsing and planning it every time.
   */
  prepared?: string;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 500;

/** Collects bind values and hands back their placeholders, so conditions can be composed freely. */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: Dialect) {}
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.param(this.values.length);
  }
}

/**
 * The batch INSERT of a slice of encoded rows (`recordValues`): each backend carries the slice in
 * a few bind values of JSON, which the database unpacks (`from`, a table of the slice's rows) and
 * reads a field at a time (`field`). Binding every value instead (27 a row) cost the main thread
 * about 20 µs a row in sqlite3's binding alone; `JSON.stringify` of the slice costs a few, and the
 * unpacking runs in the database's thread or process. ON CONFLICT DO NOTHING makes a retried batch
 * harmless when an earlier try did land.
 */
export function insertText(table: string, field: (index: number, column: UsageColumn) => string, from: string): string {
  const fields = USAGE_COLUMNS.map((column, index) => field(index, column)).join(', ');
  // `WHERE true`: SQLite's parser needs it to read ON CONFLICT after INSERT … SELECT.
  return `INSERT INTO ${table} (${USAGE_COLUMNS.join(', ')}) SELECT ${fields} FROM ${from} WHERE true ON CONFLICT (request_id) DO NOTHING`;
}

/** One page, newest first; asks for one row more than the page to know whether another follows. */
export function listStatement(table: string, query: LogQuery, dialect: Dialect): { statement: Statement; limit: number } {
  const limit = pageSize(query.limit);
  const params = new Params(dialect);
  const conditions = filterConditions(query, params);
  if (query.from) conditions.push(`started_at >= ${params.add(dialect.time(query.from))}`);
  if (query.to) conditions.push(`started_at < ${params.add(dialect.time(query.to))}`);
  if (query.statusClass) {
    const low = statusFloor(query.statusClass);
    conditions.push(`status >= ${params.add(low)} AND status < ${params.add(low + 100)}`);
  }
  if (query.outcome) conditions.push(`outcome = ${params.add(query.outcome)}`);
  if (query.cache) conditions.push(`cache = ${params.add(query.cache)}`);
  // The id the client was answered with: the gateway's, or the client's own x-request-id.
  if (query.requestId !== undefined) conditions.push(`(request_id = ${params.add(query.requestId)} OR client_request_id = ${params.add(query.requestId)})`);
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    // A row-value comparison matches the ORDER BY exactly and can walk the (started_at, request_id) index.
    conditions.push(`(started_at, request_id) < (${params.add(dialect.time(cursor.startedAt))}, ${params.add(cursor.requestId)})`);
  }
  const text =
    // Without bodies (`LogQuery.bodies: false`) their columns are read as NULL: not read at all.
    `SELECT ${(query.bodies === false ? USAGE_COLUMNS.map((column, i) => (BODY_COLUMNS.includes(i) ? `NULL AS ${column}` : column)) : USAGE_COLUMNS).join(', ')} FROM ${table}${whereClause(conditions)} ` +
    `ORDER BY started_at DESC, request_id DESC LIMIT ${params.add(limit + 1)}`;
  return { statement: { text, values: params.values }, limit };
}

const GROUP_COLUMNS: Record<UsageGroupKey, string> = { provider: 'provider', model: 'model', keyId: 'key_id', team: 'team' };

/**
 * Sums and averages per group over [from, to). Percentiles are nearest-rank (the smallest latency
 * with at least p of the group at or below it): window functions on SQLite, which has no
 * percentile aggregate, and `percentile_disc` on PostgreSQL (Dialect.orderedSetPercentiles), which
 * is the same rank, so both backends agree to the millisecond.
 */
export function aggregateStatement(table: string, query: UsageQuery, dialect: Dialect): Statement {
  const params = new Params(dialect);
  const conditions = [
    `started_at >= ${params.add(dialect.time(query.from))}`,
    `started_at < ${params.add(dialect.time(query.to))}`,
    ...filterConditions(query, params),
  ];
  const keys = [...new Set(query.groupBy ?? [])].map((key) => GROUP_COLUMNS[key]);
  const bucket = query.bucket ? dialect.bucket(query.bucket) : undefined;
  const partition = [...(bucket ? [bucket] : []), ...keys];
  const over = partition.length > 0 ? `PARTITION BY ${partition.join(', ')}` : '';
  // TTFT's ranks count only the requests that have one (streams that sent a first byte): they
  // come first in its order, numbered 1..tn.
  const windows = query.percentiles && !dialect.orderedSetPercentiles
    ? `, ROW_NUMBER() OVER (${over} ORDER BY latency_ms) AS rn, COUNT(*) OVER (${over}) AS n` +
      `, ROW_NUMBER() OVER (${over} ORDER BY ttft_ms NULLS LAST) AS trn, COUNT(ttft_ms) OVER (${over}) AS tn`
    : '';
  const inner =
    `SELECT ${bucket ? `${bucket} AS bucket, ` : ''}provider, model, key_id, team, outcome, cache, prompt_tokens, completion_tokens, ` +
    `cached_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms${windows} ` +
    `FROM ${table}${whereClause(conditions)}`;
  const groups = [...(bucket ? ['bucket'] : []), ...keys];
  const percentiles = !query.percentiles
    ? 'NULL AS p50, NULL AS p95, NULL AS ttft_p50, NULL AS ttft_p95'
    : dialect.orderedSetPercentiles
      ? 'percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95, ' +
        'percentile_disc(0.5) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p95'
      : 'MIN(CASE WHEN rn >= 0.5 * n THEN latency_ms END) AS p50, MIN(CASE WHEN rn >= 0.95 * n THEN latency_ms END) AS p95, ' +
      'MIN(CASE WHEN trn <= tn AND trn >= 0.5 * tn THEN ttft_ms END) AS ttft_p50, MIN(CASE WHEN trn <= tn AND trn >= 0.95 * tn THEN ttft_ms END) AS ttft_p95';
  const text =
    `WITH r AS (${inner}) SELECT ${groups.map((g) => `${g}, `).join('')}COUNT(*) AS requests, ` +
    `SUM(CASE WHEN outcome = 'error' THEN 1 ELSE 0 END) AS errors, SUM(CASE WHEN cache IN ('hit', 'semantic-hit') THEN 1 ELSE 0 END) AS cache_hits, ` +
    `SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, SUM(cached_tokens) AS cached_tokens, ` +
    `SUM(cache_write_tokens) AS cache_write_tokens, SUM(cache_write_1h_tokens) AS cache_write_1h_tokens, SUM(reasoning_tokens) AS reasoning_tokens, ` +
    `SUM(cost_usd) AS cost_usd, SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced, ` +
    `AVG(latency_ms) AS avg_latency, AVG(ttft_ms) AS avg_ttft, ${percentiles} FROM r` +
    (groups.length > 0 ? ` GROUP BY ${groups.join(', ')}` : '') +
    ` ORDER BY ${[...(bucket ? ['bucket'] : []), 'requests DESC', ...keys.map((k) => `${k} NULLS FIRST`)].join(', ')}` +
    (query.maxGroups === undefined ? '' : ` LIMIT ${params.add(query.maxGroups)}`);
  return { text, values: params.values };
}

/** Reads one aggregate row; a query without groups yields one all-NULL row for an empty range, which is dropped. */
export function readAggregates(rows: readonly Row[], query: UsageQuery): UsageAggregate[] {
  const keys = new Set(query.groupBy ?? []);
  const aggregates: UsageAggregate[] = [];
  for (const row of rows) {
    if (!(Number(row.requests) > 0)) continue;
    // Fields set one by one, the group's first (the order the answer has always had): objects
    // built by spreads cost tens of µs each, and 10,000 groups held the event loop for half a second.
    const aggregate = {} as UsageAggregate;
    if (query.bucket) aggregate.bucket = time(row.bucket);
    if (keys.has('provider')) aggregate.provider = textOrNull(row.provider);
    if (keys.has('model')) aggregate.model = textOrNull(row.model);
    if (keys.has('keyId')) aggregate.keyId = textOrNull(row.key_id);
    if (keys.has('team')) aggregate.team = textOrNull(row.team);
    aggregate.requests = Number(row.requests);
    aggregate.errors = Number(row.errors);
    aggregate.cacheHits = Number(row.cache_hits);
    aggregate.promptTokens = Number(row.prompt_tokens);
    aggregate.completionTokens = Number(row.completion_tokens);
    aggregate.cachedTokens = Number(row.cached_tokens);
    aggregate.cacheWriteTokens = Number(row.cache_write_tokens);
    aggregate.cacheWrite1hTokens = Number(row.cache_write_1h_tokens);
    aggregate.reasoningTokens = Number(row.reasoning_tokens);
    aggregate.costUsd = numberOrNull(row.cost_usd) ?? 0;
    aggregate.unpricedRequests = Number(row.unpriced);
    aggregate.avgLatencyMs = Number(row.avg_latency);
    aggregate.avgTtftMs = numberOrNull(row.avg_ttft);
    aggregate.p50LatencyMs = numberOrNull(row.p50);
    aggregate.p95LatencyMs = numberOrNull(row.p95);
    aggregate.p50TtftMs = numberOrNull(row.ttft_p50);
    aggregate.p95TtftMs = numberOrNull(row.ttft_p95);
    aggregates.push(aggregate);
  }
  return aggregates;
}

/** Up to `rows` of the records started before `olderThan`, the oldest first, found by the (started_at, request_id) index. */
export function pruneStatement(table: string, olderThan: Date, rows: number, dialect: Dialect): Statement {
  const params = new Params(dialect);
  const before = params.add(dialect.time(olderThan));
  return {
    text: `DELETE FROM ${table} WHERE request_id IN (SELECT request_id FROM ${table} WHERE started_at < ${before} ORDER BY started_at LIMIT ${params.add(rows)})`,
    values: params.values,
  };
}

/** The cursor is opaque to clients: the last record's (startedAt, requestId), base64url JSON. */
export function encodeCursor(record: Pick<UsageRecord, 'startedAt' | 'requestId'>): string {
  return Buffer.from(JSON.stringify([record.startedAt.getTime(), record.requestId])).toString('base64url');
}

export function decodeCursor(cursor: string): { startedAt: Date; requestId: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isFinite(parsed[0]) || typeof parsed[1] !== 'string') {
    throw new Error(`invalid usage log cursor '${cursor}'`);
  }
  return { startedAt: new Date(parsed[0] as number), requestId: parsed[1] };
}

/** Page size: default 100, clamped to [1, 500] so a client cannot ask for the whole table at once. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE;
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit)));
}

/** `undefined` means any value; `null` selects rows without one. */
function filterConditions(filter: UsageFilter, params: Params): string[] {
  const conditions: string[] = [];
  // Stored capped where they are indexed (rows.ts `indexedText`): compared capped alike.
  const indexed = (value: string | null | undefined) => (typeof value === 'string' ? indexedText(value) : value);
  const columns: Array<[string | null | undefined, string]> = [
    [indexed(filter.keyId), 'key_id'],
    [filter.team, 'team'],
    [indexed(filter.provider), 'provider'],
    [indexed(filter.model), 'model'],
  ];
  for (const [value, column] of columns) {
    if (value === undefined) continue;
    conditions.push(value === null ? `${column} IS NULL` : `${column} = ${params.add(value)}`);
  }
  return conditions;
}

function statusFloor(statusClass: StatusClass): number {
  return Number(statusClass[0]) * 100;
}

function whereClause(conditions: readonly string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
