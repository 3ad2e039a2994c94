/**
 * The contract every usage-log backend (SQLite, Postgres) implements, and the shapes of its
 * queries. Writes are fire-and-forget so logging never slows or fails a request; reads serve the
 * dashboard and /admin/usage.
 */
import type { UsageCacheState, UsageOutcome, UsageRecord, UsageRecordInput } from './record.js';

/** Columns an aggregate can be grouped by (besides the time bucket). */
export type UsageGroupKey = 'provider' | 'model' | 'keyId' | 'team';
export type UsageBucket = 'minute' | 'hour' | 'day';
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

/**
 * Narrows reads to one key, team, provider or model. `undefined` means "any"; `null` means "none"
 * (for example `keyId: null` selects requests made while the gateway was open).
 */
export interface UsageFilter {
  keyId?: string | null;
  team?: string | null;
  provider?: string | null;
  model?: string | null;
}

export interface UsageQuery extends UsageFilter {
  /** Inclusive. */
  from: Date;
  /** Exclusive, so consecutive ranges never count a record twice. */
  to: Date;
  groupBy?: readonly UsageGroupKey[];
  /** Time buckets in UTC; omitted means one bucket for the whole range. */
  bucket?: UsageBucket;
  /** Also compute p50/p95 latency; costs a sort of the range, so the dashboard asks only when it shows them. */
  percentiles?: boolean;
  /**
   * At most this many groups are read (the largest first within each bucket, as ordered). A
   * query whose groups are keyed by client input (keys, teams, models) over minute buckets can
   * have millions; the admin API asks for one more than it answers, to refuse such a query.
   */
  maxGroups?: number;
}

export interface UsageAggregate {
  /** Start of the bucket (UTC), present when the query had `bucket`. */
  bucket?: Date;
  /** Present when grouped by that key; null for records without one. */
  provider?: string | null;
  model?: string | null;
  keyId?: string | null;
  team?: string | null;
  requests: number;
  /** Requests whose outcome was 'error' (client aborts are not errors). */
  errors: number;
  /** Requests answered from a cache. */
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  /** Of `cacheWriteTokens`, those written for an hour. */
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  /** Sum over priced requests; see `unpricedRequests` for how many had no price. */
  costUsd: number;
  unpricedRequests: number;
  avgLatencyMs: number;
  /** Null when no request in the group sent a first byte. */
  avgTtftMs: number | null;
  /** Nearest-rank percentiles (a latency that occurred); null unless `percentiles` was asked. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  /** The same over the requests that sent a first byte; null unless asked, or when none did. */
  p50TtftMs: number | null;
  p95TtftMs: number | null;
}

export interface LogQuery extends UsageFilter {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  statusClass?: StatusClass;
  outcome?: UsageOutcome;
  cache?: UsageCacheState;
  requestId?: string;
  /** From the previous page's `nextCursor`. */
  cursor?: string | null;
  /** Default 100, at most 500. */
  limit?: number;
  /**
   * With the request and response bodies (the default). Without them (`false`) a page is read and
   * sent without the largest part of its records: the dashboard's list and a CSV show none.
   */
  bodies?: boolean;
}

export interface UsageLogStats {
  /** Records accepted and not yet written (including a batch being written). */
  queued: number;
  /** Records written. */
  written: number;
  /** Records lost: their batch kept failing after retries, or the record was malformed and refused on write. */
  failedWrites: number;
  /** Records dropped because the queue was full (oldest first) or the log was closed. */
  dropped: number;
}

export interface UsageLog {
  /** Queues a record; never throws, never awaits the database on the caller's path. Deferred bodies run in the batch. */
  write(record: UsageRecordInput): void;
  /** Writes everything queued; resolves when it is stored, or when the bounded wait is over. */
  flush(): Promise<void>;
  /** Aggregates over [from, to), grouped by any of provider, model, keyId, team and a time bucket. */
  aggregate(query: UsageQuery): Promise<UsageAggregate[]>;
  /** Filtered records, newest first, paginated by an opaque cursor over (startedAt, requestId). */
  list(query: LogQuery): Promise<{ records: UsageRecord[]; nextCursor: string | null }>;
  /** Deletes records that started before `olderThan`; returns how many. */
  prune(olderThan: Date): Promise<number>;
  /** Counters for health pages. `queued + written + failedWrites + dropped` = records accepted. */
  stats(): UsageLogStats;
  /** Flushes (bounded), then releases the database. Later writes are dropped and counted. */
  close(): Promise<void>;
}
