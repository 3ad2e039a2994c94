/**
 * The SQLite store (data/gateway.sqlite) on a full disk, while requests go on: every second the
 * counters are saved again, fail again, and log a WARN line again (core/store/persist-behind.ts:35),
 * 3,600 lines an hour, without a bound, when the disk is already full. (Redis failures are "logged
 * once a minute", docs/deployment.md.) Needs a small tmpfs (root); skipped where mount is refused.
 *
 * Before its fix a line a second. Now the first failure, then one a minute with the count left
 * out (core/rarely.ts), and "counters saved again" when a save succeeds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../../support/cli.js';
import { chat, sleep } from './helpers.js';

let dir: string;
let mounted = false;
let cli: RunningCli | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'review-ops-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir], { stdio: 'ignore' });
    mounted = true;
  } catch {
    mounted = false;
  }
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

it('a full disk under the SQLite store: the failed counter saves are not logged once a second', async (context) => {
  if (!mounted) return context.skip();
  writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ server: { port: 0 }, providers: { demo: { type: 'demo' } }, plugins: ['gateway:auth', 'gateway:rate-limits'] }));
  const created = runCli(['keys', 'create', '--name', 'k', '--rpm', '100000', '--json'], { cwd: dir });
  expect(created.status).toBe(0);
  const secret = (JSON.parse(created.stdout) as { secret: string }).secret;
  cli = await startCli([], { cwd: dir });
  // Fill the disk.
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=1k', 'count=4096'], { stdio: 'ignore' });
  } catch {
    /* dd stops at ENOSPC */
  }
  for (let i = 0; i < 12; i++) {
    expect(await chat(cli.url, 'demo/echo', { authorization: `Bearer ${secret}` })).toBe(200);
    await sleep(500);
  }
  const lines = cli.output().split('\n').filter((line) => line.includes('could not save counters'));
  expect(lines.length).toBeGreaterThan(0); // the disk is full and it is said
  expect(lines.length).toBeLessThanOrEqual(2); // once, then a count now and then: not once a second
});
