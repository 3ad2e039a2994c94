/**
 * `start --workers 2` needs a store the workers share: a memory store is refused at start (exit 1,
 * saying to use Redis), and on Redis a key created over HTTP is honoured by every worker.
 * Before its fix, a memory store was accepted: a key created with POST /admin/keys (or a live
 * /admin/config change, a team budget) lived in the one worker that took the request, so the other
 * workers refused the key (401) and clients behind the one port saw either at random.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../support/cli.js';

const ADMIN = 'review-workers-memory-admin-0123456789';
let dir: string;
let cli: RunningCli | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-workers-memory-'));
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('start --workers 2, and a key created over HTTP', () => {
  it('refuses a memory store, saying why and to use Redis', () => {
    const file = join(dir, 'refused.json');
    writeFileSync(file, JSON.stringify({ store: 'memory', providers: { demo: { type: 'demo' } }, plugins: ['gateway:auth'] }));
    const result = runCli(['start', '--config', file, '--port', '0', '--workers', '2'], { cwd: dir, env: { LLM_GATEWAY_ADMIN_KEY: ADMIN } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--workers needs a store the workers can share, and the store is 'memory'.*keys.*redis:\/\//s);
  }, 30_000);

  it.each(['memory', REDIS])('on store %s: either refuses, or honours a key created over HTTP on every worker', async (store) => {
    await cli?.stop('SIGKILL');
    cli = undefined;
    const file = join(dir, 'gateway.config.json');
    writeFileSync(file, JSON.stringify({ store, providers: { demo: { type: 'demo' } }, plugins: ['gateway:auth'] }));
    cli = await startCli(['--config', file, '--port', '0', '--workers', '2'], { cwd: dir, env: { LLM_GATEWAY_ADMIN_KEY: ADMIN } }).catch(() => undefined);
    if (!cli) {
      // Refused at start: fine for memory (the test above says how), never for Redis.
      expect(store).toBe('memory');
      return;
    }
    await until(() => (cli!.output().match(/listening on http:\/\/\S+/g)?.length ?? 0) >= 2 && /primary \d+: 2 workers/.test(cli!.output()), cli.output);

    const created = await fetch(`${cli.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ name: 'per-worker' }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    const statuses: number[] = [];
    // connection: close: the primary hands each connection to the next worker in turn.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${cli.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(6).fill(200));
  }, 60_000);
});
