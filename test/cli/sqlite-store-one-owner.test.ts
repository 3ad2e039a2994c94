/**
 * `llm-gateway start` twice on one SQLite store (two systemd units by mistake, or a deploy that
 * starts the new process before the old one has stopped), the real CLI as child processes. Before
 * its fix, both ran, each saving its own snapshot of the counters over the other's, so budgets
 * forgot money spent. Now the second waits for the first (up to 15 s) and then exits 1, saying which
 * process holds the file and what to do; a second started while the first stops (SIGTERM) takes
 * over once it has gone, and listens; one killed (kill -9) leaves no wait behind, and `check`
 * beside a running gateway answers at once (before its fix it waited for the file like a second
 * gateway, then failed). `llm-gateway keys` beside a running gateway: test/cli/keys.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, runCli, startCli, type RunningCli } from '../support/cli.js';

let dir: string;
let config: string;
const running: RunningCli[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-one-owner-'));
  config = join(dir, 'gateway.config.json');
  writeFileSync(config, JSON.stringify({ store: `sqlite://${join(dir, 'state', 'gateway.sqlite')}`, providers: { demo: { type: 'demo' } } }));
});
// A test that failed halfway leaves no gateway holding the file for the next.
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningCli> {
  const cli = await startCli(['--config', config, '--port', '0'], { cwd: dir });
  running.push(cli);
  return cli;
}

describe('two `start`s on one SQLite store', () => {
  it('refuses the second: it exits 1 naming the first process and what to do', async () => {
    const first = await start();
    const child = spawn(process.execPath, [CLI, 'start', '--config', config, '--port', '0'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/is using this SQLite store; waiting up to 15 s/);
    expect(output).toMatch(new RegExp(`another gateway \\(pid ${first.process.pid} on host .+\\) is using this SQLite store \\(.*gateway\\.sqlite\\)`));
    expect(output).toMatch(/Stop the other gateway first, or run several on a shared Redis store/);
    expect(output).not.toMatch(/listening on/);
    // The first was never disturbed.
    expect((await fetch(`${first.url}/v1/models`)).status).toBe(200);
    expect(await first.stop()).toBe(0);
  }, 60_000);

  it('a second started while the first stops takes over once it has gone', async () => {
    const first = await start();
    // Stopped only once the second waits for it: a loaded machine can take over a second to start Node.
    let waiting!: () => void;
    const seenWaiting = new Promise<void>((resolve) => (waiting = resolve));
    const second = startCli(['--config', config, '--port', '0'], { cwd: dir, onOutput: (output) => /waiting up to 15 s/.test(output) && waiting() });
    const listened = second.then((cli) => (running.push(cli), cli));
    await Promise.race([seenWaiting, listened.then((cli) => expect.fail(`the second listened without waiting:\n${cli.output()}`))]);
    expect(await first.stop('SIGTERM')).toBe(0);
    const next = await listened;
    expect(next.output()).toMatch(/is using this SQLite store; waiting up to 15 s/);
    expect((await fetch(`${next.url}/v1/models`)).status).toBe(200);
    expect(await next.stop()).toBe(0);
  }, 30_000);

  it('a gateway killed with kill -9 leaves no wait behind: the next start takes over at once', async () => {
    const first = await start();
    expect(await first.stop('SIGKILL')).toBe(null);
    const started = Date.now();
    const next = await start();
    expect(next.output()).toMatch(/held this SQLite store and is no longer running; taking it over/);
    expect(Date.now() - started).toBeLessThan(10_000); // the lease it left runs 30 s
    expect(await next.stop()).toBe(0);
  }, 30_000);

  it('`check` beside a running gateway answers at once: it only reads the counters', async () => {
    const first = await start();
    const checked = runCli(['check', '--config', config], { cwd: dir });
    expect(checked.stdout + checked.stderr).toContain('✓ config is valid');
    expect(checked.status).toBe(0);
    expect(await first.stop()).toBe(0);
  }, 30_000);
});
