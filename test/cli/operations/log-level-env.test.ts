/**
 * The shipped gateway.config.ts reads LOG_LEVEL, undocumented, and honours one value of it:
 * `level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info'` (gateway.config.ts:23).
 * LOG_LEVEL=warn or =error, what an operator sets to quiet a gateway, is silently taken as info.
 *
 * Before its fix `warn` was taken as `info`. Now LOG_LEVEL takes any level and LOG_FORMAT the
 * format, both documented.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI, ROOT, cleanEnv } from '../../support/cli.js';
import { freePort } from '../../support/free-port.js';

it('LOG_LEVEL=warn with the shipped config: no INFO lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'review-ops-level-'));
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(ROOT, 'gateway.config.ts'), '--port', String(port)], { cwd: dir, env: cleanEnv({ LOG_LEVEL: 'warn' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // Up to 10 s for the gateway to answer, then stop it.
  for (let i = 0; i < 50; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  expect(output).toMatch(/WARN/); // the demo provider's warning: the gateway ran
  expect(output.split('\n').filter((line) => / INFO /.test(line))).toEqual([]);
});
