/**
 * Opens the usage log named by a URL and brings its schema up to date:
 *
 * - `sqlite://data/usage.sqlite` (relative to the working directory), `sqlite:///var/lib/gw/usage.sqlite`
 *   (absolute), or `sqlite::memory:` (tests; gone at close);
 * - `postgres://user:pass@host:5432/db` or `postgresql://...`, with `schema` naming where the
 *   tables go (default `public`).
 *
 * Each driver is imported only when its backend is chosen, so a gateway on SQLite never loads pg.
 * Opening fails loudly (bad URL, database unreachable, migration refused): a misconfigured log
 * should stop a deploy, while a database that fails later only costs log records.
 */
import type { Logger } from 'llm-gateway/plugin';
import type { BatchOptions } from './batcher.js';
import type { SqlUsageLog } from './sql-usage-log.js';

export interface OpenUsageLogOptions {
  logger: Logger;
  batch?: BatchOptions;
  /** Postgres only: the schema holding the tables (default `public`). */
  schema?: string;
  /** Postgres only: the longest one statement may run (default 10 000 ms; see PostgresUsageLogOptions). */
  statementTimeoutMs?: number;
}

/** Resolves to a migrated, ready log; `migrate()` stays available for tools and tests. */
export async function openUsageLog(url: string, options: OpenUsageLogOptions): Promise<SqlUsageLog> {
  const log = await openBackend(url, options);
  try {
    await log.migrate();
  } catch (error) {
    await log.close().catch(() => undefined);
    throw new Error(`could not prepare the usage log at ${redact(url)}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return log;
}

async function openBackend(url: string, options: OpenUsageLogOptions): Promise<SqlUsageLog> {
  const sqliteFile = sqlitePath(url);
  if (sqliteFile !== undefined) {
    const { SqliteUsageLog } = await import('./sqlite-usage-log.js');
    return SqliteUsageLog.open({ file: sqliteFile, logger: options.logger, batch: options.batch });
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { PostgresUsageLog } = await import('./postgres-usage-log.js');
    return new PostgresUsageLog({ connectionString: url, logger: options.logger, batch: options.batch, schema: options.schema, ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}) });
  }
  throw new Error(
    `the usage log URL must be 'sqlite://<file>', 'sqlite::memory:' or 'postgres://user@host:port/database' (found '${redact(url)}')`,
  );
}

/** The file a sqlite URL names, ':memory:' for an in-memory database, or undefined for another scheme. */
export function sqlitePath(url: string): string | undefined {
  if (url === 'sqlite::memory:' || url === 'sqlite://:memory:') return ':memory:';
  if (!url.startsWith('sqlite://')) return undefined;
  const path = url.slice('sqlite://'.length);
  if (!path) throw new Error(`the usage log URL '${url}' names no file (try sqlite://data/usage.sqlite)`);
  return path;
}

/** URLs reach error messages and logs; their passwords must not. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
