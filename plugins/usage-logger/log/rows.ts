/**
 * The mapping between a UsageRecord and a row of `usage_records`, shared by both backends. They
 * differ only in how a timestamp and a boolean are bound (integer ms and 0/1 on SQLite, Date and
 * boolean on Postgres); reading accepts either, so one reader serves both.
 */
import type { UsageAttempt, UsageCacheState, UsageEndpoint, UsageOutcome, UsageRecord, UsageRecordInput } from './record.js';
import { cap } from '../redact.js';

export const USAGE_TABLE = 'usage_records';

/** How a backend binds the two types that differ between dialects. */
export interface ValueEncoding {
  time(date: Date): Date | number;
  bool(value: boolean): boolean | number;
}

/** Insert order; `recordValues` returns values in the same order. */
export const USAGE_COLUMNS = [
  'request_id',
  'started_at',
  'endpoint',
  'key_id',
  'team',
  'requested_model',
  'provider',
  'model',
  'status',
  'outcome',
  'attempts',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'tokens_estimated',
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  'cache',
  'stream',
  'error_code',
  'request_body',
  'response_body',
  'metadata',
  'saved_cost_usd',
  'cache_write_1h_tokens',
  'client_request_id',
] as const;

export type UsageColumn = (typeof USAGE_COLUMNS)[number];

/**
 * A record as bind values, in column order. Runs on write, on the caller's path, so a malformed
 * record is refused alone (TypeError) instead of failing the whole batch it would have joined at
 * the database; the encoded row is also a snapshot, unaffected if the caller reuses the object.
 * Deferred bodies stay functions here; `resolveDeferredBodies` runs them in the batch.
 */
export function recordValues(r: UsageRecordInput, encoding: ValueEncoding): unknown[] {
  checkRequired(r);
  return [
    r.requestId,
    encoding.time(r.startedAt),
    r.endpoint,
    indexedText(r.keyId),
    r.team,
    r.requestedModel,
    indexedText(r.provider),
    indexedText(r.model),
    whole(r.status),
    r.outcome,
    // Serialised here: pg would turn a JS array into a Postgres array literal, not JSON.
    storableJson(JSON.stringify(r.attempts ?? [])),
    whole(r.promptTokens),
    whole(r.completionTokens),
    whole(r.cachedTokens),
    whole(r.cacheWriteTokens),
    whole(r.reasoningTokens),
    encoding.bool(r.tokensEstimated),
    finiteOrNull(r.costUsd),
    whole(r.latencyMs),
    r.ttftMs !== null && Number.isFinite(r.ttftMs) ? whole(r.ttftMs) : null,
    r.cache,
    encoding.bool(r.stream),
    r.errorCode,
    r.requestBody,
    r.responseBody,
    r.metadata ? storableJson(JSON.stringify(r.metadata)) : null,
    finiteOrNull(r.savedCostUsd ?? null),
    whole(r.cacheWrite1hTokens ?? 0),
    r.clientRequestId ?? null,
  ];
}

/**
 * A NUL character or half a surrogate pair in any text (a client's model name, an upstream's
 * stream) must not cost its batch: Postgres refuses both in text and in JSON, and SQLite would
 * store bytes that are not UTF-8. `JSON.stringify` writes exactly these as `\u0000` and
 * `\udXXX` escapes (a whole pair stays as it is), so they are found in the JSON text and become
 * U+FFFD, on both backends alike. An escape only counts after an even run of backslashes: `\\u0000`
 * is a backslash followed by the letters "u0000".
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

export function storableJson(json: string): string {
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPE, (_, backslashes: string) => `${backslashes}\\ufffd`) : json;
}

/** `storableJson` for a text bound as it is (SQLite's bodies): a NUL or half a surrogate pair becomes U+FFFD. */
export function storableText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.includes('\0') ? value.replaceAll('\0', '\ufffd') : value;
  return (text as string & { toWellFormed(): string }).toWellFormed();
}

/** Where a row's two bodies are, in column order. */
export const BODY_COLUMNS = [USAGE_COLUMNS.indexOf('request_body'), USAGE_COLUMNS.indexOf('response_body')];

/**
 * Runs an encoded row's deferred bodies (see DeferredBody), in place; one that throws stores null.
 * Returns how many characters of body text the row carries, which bounds a slice (sql-usage-log.ts).
 */
export function resolveDeferredBodies(row: unknown[]): number {
  let chars = 0;
  for (const column of BODY_COLUMNS) {
    let value = row[column];
    if (typeof value === 'function') {
      try {
        const text = (value as () => unknown)();
        value = typeof text === 'string' ? text : null;
      } catch {
        value = null;
      }
      row[column] = value;
    }
    if (typeof value === 'string') chars += value.length;
  }
  return chars;
}

/** The columns declared NOT NULL without a default; anything else is coerced rather than refused. */
function checkRequired(r: UsageRecordInput): void {
  if (typeof r.requestId !== 'string' || r.requestId === '') throw new TypeError('usage record without a requestId');
  const invalid = (field: string) => new TypeError(`usage record ${r.requestId}: invalid ${field}`);
  if (!(r.startedAt instanceof Date) || Number.isNaN(r.startedAt.getTime())) throw invalid('startedAt');
  for (const field of ['endpoint', 'requestedModel', 'outcome', 'cache'] as const) {
    if (typeof r[field] !== 'string') throw invalid(field);
  }
  for (const field of ['status', 'latencyMs'] as const) {
    if (!Number.isFinite(r[field])) throw invalid(field);
  }
}

/** A row as either driver returns it (SQLite: numbers and text; Postgres: Date, boolean, parsed jsonb, bigint as text). */
export type Row = Record<string, unknown>;

export function rowToRecord(row: Row): UsageRecord {
  return {
    requestId: String(row.request_id),
    startedAt: time(row.started_at),
    endpoint: String(row.endpoint) as UsageEndpoint,
    keyId: textOrNull(row.key_id),
    team: textOrNull(row.team),
    requestedModel: String(row.requested_model),
    provider: textOrNull(row.provider),
    model: textOrNull(row.model),
    status: Number(row.status),
    outcome: String(row.outcome) as UsageOutcome,
    attempts: json<UsageAttempt[]>(row.attempts) ?? [],
    promptTokens: Number(row.prompt_tokens),
    completionTokens: Number(row.completion_tokens),
    cachedTokens: Number(row.cached_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    cacheWrite1hTokens: Number(row.cache_write_1h_tokens ?? 0),
    reasoningTokens: Number(row.reasoning_tokens),
    tokensEstimated: bool(row.tokens_estimated),
    costUsd: numberOrNull(row.cost_usd),
    latencyMs: Number(row.latency_ms),
    ttftMs: numberOrNull(row.ttft_ms),
    cache: String(row.cache) as UsageCacheState,
    stream: bool(row.stream),
    errorCode: textOrNull(row.error_code),
    requestBody: textOrNull(row.request_body),
    responseBody: textOrNull(row.response_body),
    metadata: json<Record<string, string>>(row.metadata),
    ...(row.saved_cost_usd !== null && row.saved_cost_usd !== undefined ? { savedCostUsd: Number(row.saved_cost_usd) } : {}),
    ...(row.client_request_id !== null && row.client_request_id !== undefined ? { clientRequestId: String(row.client_request_id) } : {}),
  };
}

/** Postgres returns timestamptz as Date; SQLite stores integer ms. */
export function time(value: unknown): Date {
  return value instanceof Date ? value : new Date(Number(value));
}

/** Postgres returns bigint and numeric as text, so every number read goes through Number(). */
export function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function bool(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

/** SQLite returns JSON as text; pg has already parsed jsonb. */
function json<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** PostgreSQL's `integer`, the type of the counts and times. */
const LARGEST_INTEGER = 2_147_483_647;

/**
 * Counts and times are integers of at least 0 in the schema. A fractional or missing estimate, or
 * an upstream's negative or out-of-range figure (3e9 prompt tokens), must neither fail the batch
 * (PostgreSQL refuses what `integer` cannot hold) nor subtract from the totals (cost bills it as 0).
 */
function whole(value: number): number {
  return Number.isFinite(value) ? Math.min(LARGEST_INTEGER, Math.max(0, Math.round(value))) : 0;
}

/**
 * Most UTF-8 bytes of a text in an index (key, provider, model), before the `…[truncated]` mark
 * `cap` adds. A btree entry holds at most 2,704 bytes in PostgreSQL: a model name of 1,024
 * characters (the most a request may name) is 3 KB in CJK, and its row was refused, with its whole
 * batch. A filter on these columns caps its value alike (queries.ts), so such a record is found by
 * the name it was served by.
 */
const INDEXED_TEXT_BYTES = 512;

export function indexedText(value: string): string;
export function indexedText(value: string | null): string | null;
export function indexedText(value: string | null): string | null {
  return value === null ? null : cap(value, INDEXED_TEXT_BYTES);
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
