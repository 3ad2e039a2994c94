/**
 * How much a gateway logs at the default level while a provider is down. docs/configuration.md:
 * "The gateway logs nothing per request unless gateway:access-log is configured". Every failed
 * try of a provider that cannot be reached is one WARN line (core/provider-call.ts:210), with no
 * bound: a busy gateway during a provider's outage writes a line per try to stderr (journald,
 * docker's json-file log) for as long as the outage lasts.
 *
 * Before its fix a WARN line a failed try. Now a provider's failures of one kind are logged on
 * the first and then once a minute, with the count left out (core/rarely.ts).
 */
import { afterEach, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../../support/cli.js';
import { freePort } from '../../support/free-port.js';
import { chat, folder } from './helpers.js';

let cli: RunningCli | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await cli?.stop('SIGKILL');
  cleanup?.();
});

it('a provider that cannot be reached: 30 failed requests do not write 30 warnings at the default level', async () => {
  const dead = await freePort();
  const config = {
    server: { port: 0 },
    store: 'memory',
    providers: { down: { type: 'openai-compatible', baseURL: `http://127.0.0.1:${dead}/v1`, listModels: false } },
  };
  const f = folder({ 'gateway.config.json': JSON.stringify(config) });
  cleanup = f.remove;
  cli = await startCli([], { cwd: f.dir });
  for (let i = 0; i < 30; i++) expect(await chat(cli.url, 'down/some-model')).toBe(502);
  await new Promise((r) => setTimeout(r, 300));
  const lines = cli.output().split('\n').filter((line) => line.includes('provider call failed'));
  // One line for the outage (and a count of the rest, once a minute) is what an operator needs;
  // today it is one line per try.
  expect(lines.length).toBeLessThanOrEqual(3);
});
