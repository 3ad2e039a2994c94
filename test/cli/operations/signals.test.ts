/**
 * Signals other than SIGTERM/SIGINT. cli/signals.ts listens for SIGTERM and SIGINT only, so SIGHUP
 * (the terminal or SSH session closing on a gateway started from it, or `kill -HUP` sent by an
 * operator who expects a reload, as nginx and haproxy do) and SIGUSR2 take Node's default action:
 * the process dies at once. No in-flight stream finishes, the usage records still queued (up to a
 * second of them, the batcher's maxWaitMs) are lost, counters are not saved, the SQLite lease is
 * not released, and nothing is logged.
 *
 * Before its fix both killed the process (0 usage records of 3). Now SIGHUP stops the gateway
 * gracefully and SIGUSR2 is logged and ignored (cli/signals.ts).
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../../support/cli.js';
import { chat, countUsageRecords, folder, sleep } from './helpers.js';

let cli: RunningCli | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await cli?.stop('SIGKILL');
  cleanup?.();
});

const config = { server: { port: 0 }, providers: { demo: { type: 'demo' } }, plugins: ['gateway:usage-logger'] };

it.each(['SIGHUP', 'SIGUSR2'] as const)('%s does not kill the gateway outright: the requests it served are in the usage log', async (signal) => {
  const f = folder({ 'gateway.config.json': JSON.stringify(config) });
  cleanup = f.remove;
  cli = await startCli([], { cwd: f.dir });
  for (let i = 0; i < 3; i++) expect(await chat(cli.url, 'demo/echo')).toBe(200);
  cli.process.kill(signal);
  // Either the gateway treats it as a graceful stop, or it keeps running (a reload, or ignored):
  // then it is stopped with SIGTERM, as an operator would.
  const early = await Promise.race([cli.exited, sleep(1500).then(() => 'running' as const)]);
  const code = early === 'running' ? await cli.stop('SIGTERM') : early;
  expect.soft({ code, signalCode: cli.process.signalCode }).toEqual({ code: 0, signalCode: null });
  expect.soft(await countUsageRecords(join(f.dir, 'data', 'usage.sqlite'))).toBe(3);
});
