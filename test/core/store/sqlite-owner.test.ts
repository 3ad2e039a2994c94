/**
 * The owner lease on a SQLite store file (core/store/sqlite-owner.ts), on two connections as two
 * processes: renewed while held, so it never runs out under a live holder; given up on release;
 * and a holder that finds it taken over (it stalled past the lease) says so and stops saving.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../../core/logger.js';
import { SqliteLeases } from '../../../core/store/exclusive.js';
import { OWNER_LEASE, ownStoreFile } from '../../../core/store/sqlite-owner.js';

let dir: string;
const opened: KeyvSqlite[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sqlite-owner-'));
});
afterAll(async () => {
  await Promise.all(opened.map((adapter) => adapter.disconnect()));
  await rm(dir, { recursive: true, force: true });
});

function processes(name: string): [SqliteLeases, SqliteLeases, KeyvSqlite] {
  const adapters = [0, 1].map(() => new KeyvSqlite({ uri: `sqlite://${join(dir, name)}`, busyTimeout: 5000 }));
  opened.push(...adapters);
  const [a, b] = adapters.map((adapter) => new SqliteLeases(() => (sql, ...parameters) => adapter.query(sql, ...parameters)));
  return [a!, b!, adapters[0]!];
}

describe('the owner lease on a SQLite store file', () => {
  it('is renewed while held, so a live holder keeps it past the lease time; released, the next takes it at once', async () => {
    const [one, two] = processes('renewed.sqlite');
    const owner = await ownStoreFile(one, 'renewed.sqlite', silentLogger, { leaseMs: 300, renewMs: 50 });
    await expect(ownStoreFile(two, 'renewed.sqlite', silentLogger, { waitMs: 800 })).rejects.toThrow(/another gateway \(pid \d+ on host .+\) is using this SQLite store \(renewed\.sqlite\)/);
    expect(owner.held()).toBe(true);
    await owner.release();
    const began = Date.now();
    const next = await ownStoreFile(two, 'renewed.sqlite', silentLogger, { leaseMs: 300, renewMs: 50 });
    expect(Date.now() - began).toBeLessThan(200);
    await next.release();
  });

  it('a holder that finds it taken over says so, and stops saving', async () => {
    const [one, , adapter] = processes('taken.sqlite');
    const lines: string[] = [];
    const owner = await ownStoreFile(one, 'taken.sqlite', createLogger({ level: 'info', write: (line) => lines.push(line) }), { leaseMs: 300, renewMs: 50 });
    await adapter.query('UPDATE llm_gateway_leases SET token = ? WHERE name = ?', '1@elsewhere/x', OWNER_LEASE);
    await expect.poll(() => owner.held(), { timeout: 2000 }).toBe(false);
    expect(lines.filter((l) => /ERROR .*another gateway took over this SQLite store.*no longer saves its counters/.test(l))).toHaveLength(1);
    await owner.release();
    // Its release leaves the other's lease alone.
    expect(await one.holder(OWNER_LEASE)).toBe('1@elsewhere/x');
  });
});
