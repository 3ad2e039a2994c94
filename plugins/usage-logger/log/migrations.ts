/**
 * The usage log's schema as an ordered list of versioned migrations, one SQL list per dialect.
 * Each backend applies the ones missing from `usage_migrations` inside one transaction under a
 * lock (Postgres: an advisory lock; SQLite: BEGIN IMMEDIATE), so a replica that starts at the same
 * moment waits, then finds nothing left to do. Never edit a released migration: add the next one.
 *
 * Enumerations (endpoint, outcome, cache) are plain text without CHECK constraints: a new value
 * must not need a table rebuild on SQLite, and the gateway is the only writer.
 */

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sqlite: readonly string[];
  /** `schema` arrives quoted, ready to prefix names. */
  postgres(schema: string): readonly string[];
}

export const USAGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'usage_records with indexes for the dashboard',
    sqlite: [
      `CREATE TABLE usage_records (
        request_id TEXT NOT NULL PRIMARY KEY,
        started_at INTEGER NOT NULL,
        endpoint TEXT NOT NULL,
        key_id TEXT,
        team TEXT,
        requested_model TEXT NOT NULL,
        provider TEXT,
        model TEXT,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        attempts TEXT NOT NULL DEFAULT '[]',
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        tokens_estimated INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        latency_ms INTEGER NOT NULL,
        ttft_ms INTEGER,
        cache TEXT NOT NULL DEFAULT 'none',
        stream INTEGER NOT NULL DEFAULT 0,
        error_code TEXT,
        request_body TEXT,
        response_body TEXT,
        metadata TEXT
      )`,
      // (started_at, request_id) rather than (started_at) alone: it is also the pagination order.
      'CREATE INDEX usage_records_started_at ON usage_records (started_at, request_id)',
      'CREATE INDEX usage_records_key_started_at ON usage_records (key_id, started_at)',
      'CREATE INDEX usage_records_provider_model_started_at ON usage_records (provider, model, started_at)',
    ],
    postgres: (schema) => [
      // COLLATE "C" on request_id: byte order, the same as SQLite's, and cheaper than a locale.
      `CREATE TABLE ${schema}.usage_records (
        request_id text COLLATE "C" NOT NULL PRIMARY KEY,
        started_at timestamptz NOT NULL,
        endpoint text NOT NULL,
        key_id text,
        team text,
        requested_model text NOT NULL,
        provider text,
        model text,
        status integer NOT NULL,
        outcome text NOT NULL,
        attempts jsonb NOT NULL DEFAULT '[]',
        prompt_tokens integer NOT NULL DEFAULT 0,
        completion_tokens integer NOT NULL DEFAULT 0,
        cached_tokens integer NOT NULL DEFAULT 0,
        cache_write_tokens integer NOT NULL DEFAULT 0,
        reasoning_tokens integer NOT NULL DEFAULT 0,
        tokens_estimated boolean NOT NULL DEFAULT false,
        cost_usd double precision,
        latency_ms integer NOT NULL,
        ttft_ms integer,
        cache text NOT NULL DEFAULT 'none',
        stream boolean NOT NULL DEFAULT false,
        error_code text,
        request_body text,
        response_body text,
        metadata jsonb
      )`,
      `CREATE INDEX usage_records_started_at ON ${schema}.usage_records (started_at, request_id)`,
      `CREATE INDEX usage_records_key_started_at ON ${schema}.usage_records (key_id, started_at)`,
      `CREATE INDEX usage_records_provider_model_started_at ON ${schema}.usage_records (provider, model, started_at)`,
    ],
  },
  {
    version: 2,
    description: 'saved_cost_usd: what an answer served from the response cache would have cost',
    sqlite: ['ALTER TABLE usage_records ADD COLUMN saved_cost_usd REAL'],
    postgres: (schema) => [`ALTER TABLE ${schema}.usage_records ADD COLUMN saved_cost_usd double precision`],
  },
  {
    version: 3,
    description: 'cache_write_1h_tokens: the part of cache_write_tokens written for an hour',
    sqlite: ['ALTER TABLE usage_records ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0'],
    postgres: (schema) => [`ALTER TABLE ${schema}.usage_records ADD COLUMN cache_write_1h_tokens integer NOT NULL DEFAULT 0`],
  },
  {
    version: 4,
    description: "client_request_id: the client's own x-request-id, where it sent one (request_id is then the gateway's, one per request)",
    sqlite: [
      'ALTER TABLE usage_records ADD COLUMN client_request_id TEXT',
      'CREATE INDEX usage_records_client_request_id ON usage_records (client_request_id) WHERE client_request_id IS NOT NULL',
    ],
    postgres: (schema) => [
      `ALTER TABLE ${schema}.usage_records ADD COLUMN client_request_id text`,
      `CREATE INDEX usage_records_client_request_id ON ${schema}.usage_records (client_request_id) WHERE client_request_id IS NOT NULL`,
    ],
  },
];

/** The bookkeeping table; created by the runner before it reads which versions are applied. */
export const MIGRATIONS_TABLE = {
  sqlite:
    'CREATE TABLE IF NOT EXISTS usage_migrations (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres: (schema: string) =>
    `CREATE TABLE IF NOT EXISTS ${schema}.usage_migrations (version integer NOT NULL PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
};

/** The migrations not yet applied, in version order. */
export function pendingMigrations(applied: Iterable<number>, migrations: readonly Migration[] = USAGE_MIGRATIONS): Migration[] {
  const done = new Set(applied);
  return [...migrations].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
}

/** Guards the list itself: versions must be positive, unique and ascending, or an upgrade could skip one. */
export function checkMigrations(migrations: readonly Migration[] = USAGE_MIGRATIONS): void {
  let previous = 0;
  for (const migration of migrations) {
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error(`usage migrations must have ascending integer versions (found ${migration.version} after ${previous})`);
    }
    previous = migration.version;
  }
}
