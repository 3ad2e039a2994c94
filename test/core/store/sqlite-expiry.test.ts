/**
 * Expired records leave the SQLite store's file: Keyv deletes one only when it is read, so a record
 * nobody reads again (a stored response past its retention) stayed for good. Read from the file
 * itself, not through Keyv (which would delete what it reads).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { deleteExpired, type Query } from '../../../core/store/sqlite-expiry.js';
import { openStore } from '../../../core/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-expiry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The keys in the file, and a query on it of the sweep's kind. */
function onFile(file: string): { keys(): Promise<string[]>; query: Query; close(): Promise<void> } {
  const db = new sqlite3.Database(file);
  const all = (sql: string, ...parameters: unknown[]) => new Promise<unknown[]>((resolve, reject) => db.all(sql, parameters, (error, rows) => (error ? reject(error) : resolve(rows))));
  return {
    keys: async () => ((await all('SELECT key FROM keyv ORDER BY key')) as Array<{ key: string }>).map((row) => row.key),
    query: all,
    close: () => new Promise((resolve) => db.close(() => resolve())),
  };
}

describe('expired records in the SQLite store', () => {
  it('deletes those past their expiry, in batches, and keeps the rest', async () => {
    const file = join(dir, 'batches.sqlite');
    const store = await openStore(`sqlite://${file}`, silentLogger);
    const kv = store.kv<Record<string, { i: number }>>('responses');
    await Promise.all(Array.from({ length: 2500 }, (_, i) => kv.set(`old-${i}`, { i }, 20)));
    await kv.set('fresh', { i: -1 }, 60_000);
    await kv.set('forever', { i: -2 });
    await store.close();

    const sqlite = onFile(file);
    try {
      await sqlite.query("INSERT INTO keyv (key, value) VALUES ('responses:not-json', 'plain text')");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await deleteExpired(sqlite.query)).toBe(2500);
      expect(await sqlite.keys()).toEqual(['responses:forever', 'responses:fresh', 'responses:not-json']);
    } finally {
      await sqlite.close();
    }
  });

  // Before: one DELETE whose SELECT parsed every row of the table, holding the file's write lock
  // for the whole scan (1 GB of stored responses: every store write waited about a second).
  it('are found a few rows a read, and deleted by rowid: no statement scans the table', async () => {
    const file = join(dir, 'small-statements.sqlite');
    const store = await openStore(`sqlite://${file}`, silentLogger);
    const kv = store.kv<Record<string, { i: number }>>('responses');
    await Promise.all(Array.from({ length: 300 }, (_, i) => kv.set(`row-${i}`, { i }, i % 2 === 0 ? 20 : 60_000)));
    await store.close();
    const sqlite = onFile(file);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const statements: string[] = [];
      const rowsRead: number[] = [];
      const watched: Query = async (sql, ...parameters) => {
        statements.push(sql);
        const rows = await sqlite.query(sql, ...parameters);
        if (sql.startsWith('SELECT rowid')) rowsRead.push((rows as unknown[]).length);
        return rows;
      };
      expect(await deleteExpired(watched)).toBe(150);
      expect((await sqlite.keys()).length).toBe(150);
      expect(Math.max(...rowsRead), 'rows a read').toBeLessThanOrEqual(50);
      const deletes = statements.filter((sql) => sql.startsWith('DELETE'));
      expect(deletes.length).toBeGreaterThan(1);
      for (const sql of deletes) expect(sql, 'a delete names its rows').toMatch(/WHERE rowid IN \([\d,]+\) AND/);
    } finally {
      await sqlite.close();
    }
  });

  it('are deleted when the store opens, without anything reading them', async () => {
    const file = join(dir, 'at-open.sqlite');
    const first = await openStore(`sqlite://${file}`, silentLogger);
    await first.kv<Record<string, { a: number }>>('responses').set('old', { a: 1 }, 20);
    await first.kv<Record<string, { a: number }>>('responses').set('forever', { a: 2 });
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const second = await openStore(`sqlite://${file}`, silentLogger);
    await second.close(); // waits for the sweep it started
    const sqlite = onFile(file);
    try {
      expect(await sqlite.keys()).toEqual(['responses:forever']);
    } finally {
      await sqlite.close();
    }
  });
});
