/**
 * `llm-gateway check` (and `start`, which logs the same) against a Redis store that keeps nothing on
 * disk. Everything the gateway keeps there (virtual keys, team budgets, spend, live changes) is lost
 * when such a Redis restarts: a fleet-wide 401. Before its fix, `check` printed "✓ config is valid"
 * and nothing else, and the docs never said that the store must persist. Now the store reads how
 * Redis keeps its data as it opens, and `check` names a setting that loses it (no persistence, or
 * snapshots alone); a Redis with `appendonly yes` gets no such warning. The built CLI, and
 * redis-servers of the test's own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!hasRedisServer)('check: how the Redis store keeps its data', () => {
  let dir: string;
  const servers: ChildProcess[] = [];

  const startRedis = async (port: number, persistence: string[]) => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...persistence], { stdio: 'ignore' });
    servers.push(server);
    for (let i = 0; i < 100; i++) {
      const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
      client.on('error', () => undefined);
      if (await client.connect().then(() => true, () => false)) return void (await client.quit());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not start');
  };
  const check = (port: number) => {
    const file = join(dir, `gateway-${port}.json`);
    writeFileSync(file, JSON.stringify({ store: `redis://127.0.0.1:${port}`, plugins: ['gateway:auth'], server: { adminKey: 'check-redis-persistence-admin-key-0123' } }));
    const result = runCli(['check', '--config', file]);
    expect(result.status).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'check-redis-persistence-'));
    await Promise.all([
      startRedis(6394, ['--save', '', '--appendonly', 'no']),
      startRedis(6395, ['--save', '3600 1', '--appendonly', 'no']),
      startRedis(6396, ['--save', '', '--appendonly', 'yes']),
    ]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : (server.once('exit', resolve), server.kill('SIGTERM'))))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns that a Redis keeping nothing on disk loses every key when it restarts', () => {
    expect(check(6394)).toMatch(/! Redis keeps nothing on disk \(appendonly no, no save points\): when it restarts, every virtual key/);
  });

  it('warns that a Redis keeping snapshots alone rolls back to its last one after a crash', () => {
    expect(check(6395)).toMatch(/! Redis persists by snapshots only \(save "3600 1", appendonly no\): a crash takes it back to its last snapshot/);
  });

  it('says nothing of a Redis with appendonly yes', () => {
    const printed = check(6396);
    expect(printed).toContain('✓ config is valid');
    expect(printed).not.toMatch(/Redis keeps nothing|snapshots only/);
  });
});
