/**
 * `llm-gateway start --workers N`: N processes behind one port, sharing state through the store as
 * replicas do (Redis); a SQLite store is refused (its counters live in each process's memory), and
 * so is a memory store (test/cli/workers-memory-store.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../support/cli.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let upstream: MockUpstream;
let dir: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-workers-'));
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, extra: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ providers: { up: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, ...extra }));
  return file;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean, what: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('start --workers', () => {
  it('runs two workers on one port with a Redis store, answers on it, replaces a worker that dies, and stops them all on SIGTERM', async () => {
    const cli = await startCli(['--config', config('redis.json', { store: REDIS }), '--port', '0', '--workers', '2'], { cwd: dir });
    running.push(cli);
    await until(() => /primary \d+: 2 workers \(\d+, \d+\)/.test(cli.output()), cli.output);
    const [, a, b] = /primary \d+: 2 workers \((\d+), (\d+)\)/.exec(cli.output())!;
    const workers = [Number(a), Number(b)];
    expect(workers.every(alive)).toBe(true);
    // The primary hears of a worker listening over IPC, which may overtake the worker's own line on its stdout pipe.
    await until(() => (cli.output().match(/listening on http:\/\/\S+/g)?.length ?? 0) >= 2, cli.output, 10_000);
    expect(cli.output().match(/listening on http:\/\/\S+/g)?.length).toBe(2);
    // Both workers listen on the same port, whichever the first one got.
    expect(new Set(cli.output().match(/listening on (http:\/\/\S+)/g)).size).toBe(1);

    const ask = () =>
      Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${cli.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', connection: 'close' },
            body: JSON.stringify({ model: 'up/mock-small', messages: [{ role: 'user', content: 'hi' }] }),
          }).then((res) => res.json() as Promise<{ choices: Array<{ message: { content: string } }> }>),
        ),
      );
    expect((await ask()).map((a) => a.choices[0]?.message.content)).toEqual(Array(20).fill('echo: hi'));

    process.kill(workers[0]!, 'SIGKILL');
    await until(() => (cli.output().match(/listening on http:\/\/\S+/g)?.length ?? 0) === 3, cli.output);
    expect(cli.output()).toMatch(new RegExp(`worker ${workers[0]} exited \\(SIGKILL\\); starting another`));
    expect((await ask()).map((a) => a.choices[0]?.message.content)).toEqual(Array(20).fill('echo: hi'));

    expect(await cli.stop('SIGTERM')).toBe(0);
    await until(() => !workers.some(alive), () => `workers still alive: ${workers.filter(alive).join(', ')}`);
    expect(cli.output()).toMatch(/stopped/);
  }, 120_000);

  it('refuses a SQLite store, whose counters each worker would keep on its own', () => {
    const result = runCli(['start', '--config', config('sqlite.json', { store: `sqlite://${join(dir, 'state.sqlite')}` }), '--port', '0', '--workers', '2'], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--workers needs a store the workers can share.*redis:\/\//s);
  }, 60_000);

  it('refuses a worker count that is not a number from 1 or auto', () => {
    const result = runCli(['start', '--config', config('bad.json', { store: REDIS }), '--port', '0', '--workers', 'zero'], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/invalid --workers "zero"/);
  }, 60_000);
});
