/**
 * The usage log in Postgres (a `pg` Pool), for several replicas sharing one log. Timestamps are
 * timestamptz, attempts and metadata jsonb; everything lives in one schema (default `public`),
 * which also lets tests run side by side in throwaway schemas.
 */
import pg from 'pg';
import { GatewayError, type Logger } from 'llm-gateway/plugin';
import { withinMs } from 'llm-gateway/store';
import type { BatchOptions } from './batcher.js';
import { MIGRATIONS_TABLE, checkMigrations, pendingMigrations } from './migrations.js';
import { insertText, type Dialect, type Statement } from './queries.js';
import { USAGE_TABLE, storableJson, type Row, type UsageColumn } from './rows.js';
import { SqlUsageLog } from './sql-usage-log.js';
import { BoundedReads, POSTGRES_READ_LIMITS } from './bounded-reads.js';

/** How long a failed batch's ROLLBACK, and the pool's end at close, are waited for. */
const ROLLBACK_WAIT_MS = 1000;
const POOL_END_WAIT_MS = 1000;

export const POSTGRES_DIALECT: Dialect = {
  param: (n) => `$${n}`,
  orderedSetPercentiles: true,
  time: (date) => date,
  bool: (value) => value,
  // Truncate in UTC, whatever the session's TimeZone, then turn back into a timestamptz.
  bucket: (unit) => `(date_trunc('${unit}', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`,
};

/**
 * What each column's text becomes in an INSERT from JSON (queries.ts). The record (rows.ts) carries
 * timestamps as ISO text, booleans as JSON booleans, and attempts and metadata already serialised.
 */
const COLUMN_TYPES: Record<UsageColumn, string> = {
  request_id: 'text',
  started_at: 'timestamptz',
  endpoint: 'text',
  key_id: 'text',
  team: 'text',
  requested_model: 'text',
  provider: 'text',
  model: 'text',
  status: 'integer',
  outcome: 'text',
  attempts: 'jsonb',
  prompt_tokens: 'integer',
  completion_tokens: 'integer',
  cached_tokens: 'integer',
  cache_write_tokens: 'integer',
  cache_write_1h_tokens: 'integer',
  reasoning_tokens: 'integer',
  tokens_estimated: 'boolean',
  cost_usd: 'double precision',
  latency_ms: 'integer',
  ttft_ms: 'integer',
  cache: 'text',
  stream: 'boolean',
  error_code: 'text',
  request_body: 'text',
  response_body: 'text',
  metadata: 'jsonb',
  saved_cost_usd: 'double precision',
  client_request_id: 'text',
};

/** First half of the advisory-lock key: "usag", so the lock is unlikely to collide with an application's. */
const LOCK_NAMESPACE = 0x75736167;

export interface PostgresUsageLogOptions {
  connectionString: string;
  logger: Logger;
  /** Where the tables live (default `public`); created if missing. */
  schema?: string;
  batch?: BatchOptions;
  /**
   * Longest one statement may run, enforced by the server (`statement_timeout`) and, for a server
   * or network that stopped answering, by the client (`query_timeout`, which also drops the
   * connection). Default 10 000 ms.
   */
  statementTimeoutMs?: number;
  /** Pool settings on top of ours (max 4 connections, 5 s connect timeout, the statement timeouts). */
  pool?: Omit<pg.PoolConfig, 'connectionString'>;
}

/**
 * Most rows a statement inserts on PostgreSQL. `pg` sends one query at a time, each once the event
 * loop has read the last one's answer, so a busy gateway writes a statement a turn of its event
 * loop: at 16 rows that was about 6,000 rows a second, short of the requests one saturated core
 * serves (8,600 on the shipped default). The INSERT unpacks the slice with `jsonb_array_elements`,
 * reaching each row without a walk, so a longer slice costs no more a row; its main-thread work
 * stays bounded by SLICE_BODY_CHARS.
 */
export const POSTGRES_ROWS_PER_SLICE = 64;

/**
 * The batch INSERT on Postgres: the slice as one JSON array of rows, unpacked as jsonb, not json: a
 * json value is parsed again by every `->>` on it, 27 times a row, and with 16 KB bodies a row cost
 * the server 1.9 ms (wall time, one connection), 262 µs as jsonb; 51 against 25 without bodies.
 * NUL and half surrogate pairs, which jsonb refuses, never reach it (storableJson).
 */
function postgresInsert(table: string): (rows: ReadonlyArray<readonly unknown[]>) => Statement {
  const text = insertText(table, (index, column) => `(value ->> ${index})::${COLUMN_TYPES[column]}`, 'jsonb_array_elements($1::jsonb) AS rows(value)');
  return (rows) => ({ text, values: [storableJson(JSON.stringify(rows))], prepared: 'usage_insert' });
}

/** Connection failures pg and Node report by code, beside PostgreSQL's own class 08 (connection exception) and 57P (operator intervention). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * An admin read PostgreSQL cancelled or did not answer: a retryable 503 that says why, in the API's
 * own error format, where it was an opaque 500 (SQLite's reads answer so already).
 */
function readFailure(error: unknown, statementTimeoutMs: number): GatewayError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '57014') {
    return new GatewayError('unavailable', `The usage log's query ran past ${statementTimeoutMs / 1000} s and PostgreSQL cancelled it: ask for a shorter range (from, to) or fewer groups.`, { code: 'usage_query_timeout', retryable: true, retryAfterSeconds: 5, cause: error });
  }
  const connection = typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || CONNECTION_CODES.has(code));
  // pg's own: `query_timeout` ("Query read timeout"), the pool's connect timeout, a dropped connection.
  if (connection || /Query read timeout|timeout exceeded when trying to connect|Connection terminated/i.test(message)) {
    return new GatewayError('unavailable', "The usage log's database did not answer; try again shortly.", { code: 'usage_log_unavailable', retryable: true, retryAfterSeconds: 5, cause: error });
  }
  return undefined;
}

export class PostgresUsageLog extends SqlUsageLog {
  protected override readonly oneQueryAtATime = true;
  private readonly pool: pg.Pool;
  /** The admin API's and the dashboard's queries, on half the pool's connections at most: the batches keep the rest. */
  private readonly reads: BoundedReads;
  private readonly schemaName: string;
  private readonly schema: string;

  constructor(options: PostgresUsageLogOptions) {
    const schemaName = options.schema ?? 'public';
    if (!schemaName) throw new Error('the usage log schema must not be empty');
    const schema = quoteIdent(schemaName);
    super(`${schema}.${USAGE_TABLE}`, POSTGRES_DIALECT, options.logger, options.batch, postgresInsert(`${schema}.${USAGE_TABLE}`), POSTGRES_ROWS_PER_SLICE);
    this.schemaName = schemaName;
    this.schema = schema;
    // A bounded connect timeout: with the database down, a batch fails (and is retried, then
    // counted) rather than waiting forever for a connection.
    const statementTimeout = options.statementTimeoutMs ?? 10_000;
    this.pool = new pg.Pool({
      max: 4,
      connectionTimeoutMillis: 5000,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 1000,
      ...options.pool,
      connectionString: options.connectionString,
    });
    const connections = options.pool?.max ?? 4;
    this.reads = new BoundedReads(
      { all: async (sql, params) => (await this.pool.query<Row>(sql, params)).rows, explain: (error) => readFailure(error, statementTimeout) },
      { ...POSTGRES_READ_LIMITS, concurrency: Math.max(1, Math.floor(connections / 2)) },
    );
    // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the gateway.
    this.pool.on('error', (error) => this.logger.warn('usage log: idle Postgres connection failed', { error }));
    // The pool hears only its idle clients: one checked out (a batch whose query timed out) whose
    // connection then drops emits 'error' to nobody, which would crash the process.
    this.pool.on('connect', (client) => client.on('error', (error) => this.logger.warn('usage log: Postgres connection failed', { error: error.message })));
  }

  /**
   * One transaction under a transaction-scoped advisory lock keyed by the schema: a replica
   * starting at the same moment blocks on the lock, then finds every version applied. DDL in
   * Postgres is transactional, so a failed migration leaves nothing half done.
   */
  async migrate(): Promise<number[]> {
    checkMigrations();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, hash32(this.schemaName)]);
      // Checked first rather than CREATE SCHEMA IF NOT EXISTS, which needs CREATE on the database
      // even when the schema is there.
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schemaName]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${this.schema}`);
      await client.query(MIGRATIONS_TABLE.postgres(this.schema));
      const applied = await client.query<{ version: number }>(`SELECT version FROM ${this.schema}.usage_migrations`);
      const pending = pendingMigrations(applied.rows.map((row) => Number(row.version)));
      for (const migration of pending) {
        for (const sql of migration.postgres(this.schema)) await client.query(sql);
        await client.query(`INSERT INTO ${this.schema}.usage_migrations (version, description) VALUES ($1, $2)`, [
          migration.version,
          migration.description,
        ]);
      }
      await client.query('COMMIT');
      if (pending.length > 0) this.logger.info('usage log migrated', { schema: this.schemaName, versions: pending.map((m) => m.version) });
      return pending.map((m) => m.version);
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
      client.release(broken);
    }
  }

  protected rows(statement: Statement): Promise<Row[]> {
    return this.reads.all(statement.text, statement.values);
  }

  protected async execute(statement: Statement): Promise<number> {
    return (await this.pool.query(asQuery(statement))).rowCount ?? 0;
  }

  protected async inTransaction(work: (execute: (statement: Statement) => Promise<number>) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await work(async (statement) => (await client.query(asQuery(statement))).rowCount ?? 0);
      await client.query('COMMIT');
    } catch (error) {
      // A connection whose query timed out may not answer a ROLLBACK either: a short wait, then it
      // is given up (the server rolls back a transaction whose connection went).
      await withinMs(ROLLBACK_WAIT_MS, client.query('ROLLBACK')).catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
      client.release(broken);
    }
  }

  /**
   * The pool's end waits for every connection to close, a hung one's too (pg's query timeout does
   * not drop it): at shutdown that outlived a service manager's stop timeout. A bounded wait; what
   * is left goes with the process.
   */
  protected async release(): Promise<void> {
    await withinMs(POOL_END_WAIT_MS, this.pool.end()).catch((error: Error) => this.logger.warn('usage log: Postgres connections still open at close', { error: error.message }));
  }
}

/** pg prepares a named query once per connection, then only binds and runs it. */
function asQuery(statement: Statement): pg.QueryConfig {
  return statement.prepared ? { name: statement.prepared, text: statement.text, values: statement.values } : { text: statement.text, values: statement.values };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** FNV-1a, as a signed 32-bit integer (the advisory lock's int4 key). */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash | 0;
}
