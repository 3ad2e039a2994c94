/**
 * A gateway listening beyond localhost without auth() while holding a provider's key is an open
 * proxy spending the operator's money. `check` warns (cli/check.ts:72-79), but `start`, which is
 * what every operator runs (and the only thing `HOST=0.0.0.0 npm start` in docs/deployment.md
 * runs), logs nothing about it. And `check --host 0.0.0.0`, the operator's own start line, is
 * accepted and ignored: it judges the config's 127.0.0.1 and calls the gateway local.
 *
 * Before its fix `start` said nothing and `check --host` was ignored. Now `start` warns for the
 * host it listens on, and `check --host` judges it (cli/check.ts `openGatewayWarning`).
 */
import { afterEach, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../../support/cli.js';
import { freePort } from '../../support/free-port.js';
import { folder } from './helpers.js';

let cli: RunningCli | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await cli?.stop('SIGKILL');
  cleanup?.();
});

async function openConfig(host?: string) {
  const upstream = await freePort();
  return {
    server: { port: 0, ...(host ? { host } : {}) },
    store: 'memory',
    providers: { paid: { type: 'openai', baseURL: `http://127.0.0.1:${upstream}/v1`, apiKey: 'sk-operators-own-money-0123456789', listModels: false } },
  };
}

it('start on 0.0.0.0 without auth, holding a provider key: the log warns that anyone who reaches it spends the credits', async () => {
  const f = folder({ 'gateway.config.json': JSON.stringify(await openConfig('0.0.0.0')) });
  cleanup = f.remove;
  cli = await startCli([], { cwd: f.dir });
  await new Promise((r) => setTimeout(r, 300));
  expect(cli.output()).toMatch(/listening on http:\/\/0\.0\.0\.0/);
  expect(cli.output()).toMatch(/WARN .*(no auth|anyone)/i);
});

it('start --host 0.0.0.0 over a config without auth: warned as well', async () => {
  const f = folder({ 'gateway.config.json': JSON.stringify(await openConfig()) });
  cleanup = f.remove;
  cli = await startCli(['--host', '0.0.0.0'], { cwd: f.dir });
  await new Promise((r) => setTimeout(r, 300));
  expect(cli.output()).toMatch(/WARN .*(no auth|anyone)/i);
});

it('check --host 0.0.0.0 judges the host it is given (or refuses the flag), not the config\'s 127.0.0.1', async () => {
  const f = folder({ 'gateway.config.json': JSON.stringify(await openConfig()) });
  cleanup = f.remove;
  const result = runCli(['check', '--host', '0.0.0.0'], { cwd: f.dir });
  // Either the flag is honoured and the open-proxy warning is printed, or it is refused (exit 2).
  if (result.status === 0) expect(result.stdout).toMatch(/anyone who can reach it spends your provider credits/);
  else expect(result.status).toBe(2);
});
