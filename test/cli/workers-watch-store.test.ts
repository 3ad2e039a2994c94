/**
 * `start --workers 2 --watch` on a shared (Redis) store, and an edit that moves the store to SQLite:
 * each worker's reload refuses it with the reason `start --workers` gives (SQLite keeps counters
 * in each process's memory), and the running config stays, as it does for a broken file.
 * Before its fix, the check ran once in the primary and every worker took the edit, each then on
 * its own SQLite counters, saving over the others' snapshot every second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';

let dir: string;
let cli: RunningCli | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-workers-watch-'));
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('start --workers 2 --watch', () => {
  it('refuses an edit that moves the store to SQLite, as start does', async () => {
    const file = join(dir, 'gateway.config.json');
    const config = (store: string) => JSON.stringify({ store, providers: { demo: { type: 'demo' } } });
    // Redis: the store --workers accepts (a memory store is refused at start).
    writeFileSync(file, config(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));
    cli = await startCli(['--config', file, '--port', '0', '--workers', '2', '--watch'], { cwd: dir });
    await expect.poll(() => cli!.output(), { timeout: 20_000 }).toMatch(/primary \d+: 2 workers/);
    await expect.poll(() => cli!.output().match(/watching /g)?.length ?? 0, { timeout: 10_000 }).toBe(2);

    writeFileSync(file, config(`sqlite://${join(dir, 'state.sqlite')}`));
    await expect.poll(() => cli!.output(), { timeout: 10_000, interval: 100 }).toMatch(/config reload(ed| refused)/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(cli.output()).not.toMatch(/config reloaded from/);
    expect(cli.output()).toMatch(/config reload refused[\s\S]*--workers needs a store the workers can share/);
  }, 60_000);
});
