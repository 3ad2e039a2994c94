/**
 * `start --workers N` when a worker cannot start (its port taken, a config naming a provider type
 * nobody provides): the worker exits with its code, and the primary stops the others, says why and
 * exits 1 as a single process does.
 * Before its fix, the worker only set process.exitCode and its IPC channel to the primary kept it
 * alive, so `start --workers` hung for ever (under systemd: "active", serving nothing).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv } from '../support/cli.js';

/** The store --workers accepts (a memory store is refused at start). */
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let dir: string;
let blocker: Server;
let port: number;
const pids: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-start-failure-'));
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  port = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
  for (const pid of pids) {
    try {
      // The primary's own group: it and its workers.
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `start` and resolves with its exit code, or 'hung' after `ms`. */
function run(args: string[], ms = 15_000): Promise<{ code: number | null | 'hung'; output: string }> {
  const child = spawn(process.execPath, [CLI, 'start', ...args], { cwd: dir, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  pids.push(child.pid!);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ code: 'hung', output }), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('start --workers 2, when the workers cannot start', () => {
  it('exits 1 when the port is taken, as one process does', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ store: REDIS, providers: { demo: { type: 'demo' } } }));
    const single = await run(['--config', file, '--port', String(port)]);
    expect(single.code).toBe(1);
    const workers = await run(['--config', file, '--port', String(port), '--workers', '2']);
    expect(workers.output).toMatch(/EADDRINUSE/);
    expect(workers.code).toBe(1);
  }, 40_000);

  it('exits 1 when the config names a provider type nobody provides', async () => {
    const file = join(dir, 'bad-type.json');
    writeFileSync(file, JSON.stringify({ store: REDIS, providers: { x: { type: 'no-such-type' } } }));
    const workers = await run(['--config', file, '--port', '0', '--workers', '2']);
    expect(workers.output).toMatch(/no-such-type/);
    expect(workers.code).toBe(1);
  }, 40_000);
});
