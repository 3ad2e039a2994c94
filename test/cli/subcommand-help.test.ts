/**
 * Before its fix, what the user saw: the README lists `llm-gateway start [--config FILE] [--port N] ...` and
 * `llm-gateway --version | --help`. A user who asks the subcommand for its options,
 * `npx llm-gateway start --help`, gets no help: `--help` is ignored and a gateway starts, listening
 * on port 8080 with whatever config is in the folder (creating data/gateway.sqlite and
 * data/usage.sqlite with the shipped one). `check --help` runs a check instead of showing help.
 * (`keys --help` does print a usage line.)
 *
 * Right behaviour: `--help` (and `-h`) on a subcommand prints the usage and exits 0 without
 * starting anything, as `llm-gateway --help` does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CLI, cleanEnv } from '../support/cli.js';
import { freePort } from '../support/free-port.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-gateway-docs-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('`llm-gateway start --help` prints the usage and exits, rather than starting a gateway', async () => {
  writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ store: 'memory', providers: { demo: { type: 'demo' } } }));
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'start', '--help'], { cwd: dir, env: cleanEnv({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5000))]);
  if (code === 'still running') {
    child.kill('SIGKILL');
    await exited;
  }
  expect(output).not.toMatch(/listening on/);
  expect(code).toBe(0);
  expect(output).toMatch(/Usage:|usage:/);
}, 20_000);
