/** Choosing the usage-log backend from its URL, and the errors for URLs it cannot serve. */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { checkMigrations, pendingMigrations, USAGE_MIGRATIONS, type Migration } from '../../../../plugins/usage-logger/log/migrations.js';
import { openUsageLog, sqlitePath } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { PostgresUsageLog } from '../../../../plugins/usage-logger/log/postgres-usage-log.js';
import { SqliteUsageLog } from '../../../../plugins/usage-logger/log/sqlite-usage-log.js';

describe('openUsageLog', () => {
  it('reads sqlite URLs: relative, absolute and in memory', () => {
    expect(sqlitePath('sqlite://data/usage.sqlite')).toBe('data/usage.sqlite');
    expect(sqlitePath('sqlite:///var/lib/gateway/usage.sqlite')).toBe('/var/lib/gateway/usage.sqlite');
    expect(sqlitePath('sqlite::memory:')).toBe(':memory:');
    expect(sqlitePath('sqlite://:memory:')).toBe(':memory:');
    expect(sqlitePath('postgres://localhost/db')).toBeUndefined();
    expect(() => sqlitePath('sqlite://')).toThrow(/names no file/);
  });

  it('opens SQLite for sqlite::memory:, migrated', async () => {
    const log = await openUsageLog('sqlite::memory:', { logger: silentLogger });
    expect(log).toBeInstanceOf(SqliteUsageLog);
    expect(await log.migrate()).toEqual([]);
    await log.close();
  });

  it('chooses Postgres for postgres:// and postgresql:// (failing here only because nothing listens)', async () => {
    for (const url of ['postgres://u@127.0.0.1:1/db', 'postgresql://u@127.0.0.1:1/db']) {
      await expect(openUsageLog(url, { logger: silentLogger })).rejects.toThrow(/could not prepare the usage log at postgres/);
    }
    // Constructing does not connect; the pool is lazy.
    const log = new PostgresUsageLog({ connectionString: 'postgres://u@127.0.0.1:1/db', logger: silentLogger });
    await log.close();
  });

  it('rejects other URLs with a message that lists the accepted forms and hides passwords', async () => {
    await expect(openUsageLog('mysql://root:hunter2@db/usage', { logger: silentLogger })).rejects.toThrow(
      "the usage log URL must be 'sqlite://<file>', 'sqlite::memory:' or 'postgres://user@host:port/database' (found 'mysql://root:***@db/usage')",
    );
    await expect(openUsageLog('usage.sqlite', { logger: silentLogger })).rejects.toThrow(/must be 'sqlite:\/\/<file>'/);
  });
});

describe('usage migrations', () => {
  it('are in ascending version order, and only the missing ones are pending', () => {
    expect(() => checkMigrations()).not.toThrow();
    expect(pendingMigrations([]).map((m) => m.version)).toEqual(USAGE_MIGRATIONS.map((m) => m.version));
    expect(pendingMigrations(USAGE_MIGRATIONS.map((m) => m.version))).toEqual([]);
  });

  it('refuses a list whose versions go backwards or repeat', () => {
    const migration = (version: number): Migration => ({ version, description: `v${version}`, sqlite: [], postgres: () => [] });
    expect(() => checkMigrations([migration(1), migration(1)])).toThrow(/ascending/);
    expect(() => checkMigrations([migration(2), migration(1)])).toThrow(/ascending/);
    expect(pendingMigrations([1], [migration(3), migration(1), migration(2)]).map((m) => m.version)).toEqual([2, 3]);
  });
});
