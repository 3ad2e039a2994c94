/**
 * Before its fix, what the user saw: docs/deployment.md says SIGTERM ("what `docker stop` and systemd send") lets
 * in-flight requests finish and the gateway exit, and said "`npm start` forwards the signal it gets
 * to the gateway"; the README's quick start is `npm start`. Run as a container's command (`CMD ["npm", "start"]` in one of Node's Debian-based
 * images, where /bin/sh is dash), `docker stop` signals npm alone, not its process group. npm forwards the
 * signal to `sh -c "node dist/cli/main.js start"`; dash dies of it without passing it on, npm exits,
 * and the gateway is left running as an orphan: no graceful stop, it keeps serving until the
 * container runtime SIGKILLs it (cutting every stream, losing the last usage records).
 *
 * Right behaviour: SIGTERM to the `npm start` process stops the gateway as SIGTERM to the gateway
 * does ("SIGTERM received", then "stopped"), whatever /bin/sh is. (Not by `exec` in the `start`
 * script, which cmd.exe has not: a gateway run by npm stops when its parent is gone, cli/signals.ts.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../support/cli.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-docs-npm-start-'));
  // The package's own `start` script, run from a folder with the built CLI, as `npm start` runs it.
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'gw', private: true, scripts: { start: `${scripts.start} --port 0` } }));
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
  writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ store: 'memory', providers: { demo: { type: 'demo' } } }));
});
afterAll(() => {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGKILL'); // the whole group, the orphaned gateway included
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

it('SIGTERM sent to `npm start` alone (docker stop) stops the gateway gracefully', async () => {
  // The shell npm runs scripts with is the system's /bin/sh (dash on Debian and Ubuntu, and in
  // Node's Debian-based Docker images); skip where it is bash, which execs a lone command.
  const sh = spawnSync('readlink', ['-f', '/bin/sh'], { encoding: 'utf8' }).stdout.trim();
  if (sh.endsWith('bash')) return;
  const env = cleanEnv({ PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false' });
  child = spawn(NPM, ['start', '--silent'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await expect.poll(() => output, { timeout: 20_000, interval: 50 }).toMatch(/listening on http:\/\/\S+/);
  const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;

  process.kill(child.pid!, 'SIGTERM'); // npm's process only, as `docker stop` signals PID 1
  await new Promise((resolve) => setTimeout(resolve, 3000));

  const stillServing = await fetch(`${url}/health`).then((res) => res.ok, () => false);
  expect(output).toMatch(/SIGTERM received/);
  expect(stillServing).toBe(false);
}, 40_000);
