/**
 * `llm-gateway keys create` and `teams set` with `store: 'memory'` refuse (exit 1, saying why): the
 * command runs in a process of its own, so a key or budget it made would be kept nowhere and reach
 * no gateway.
 * Before its fix, `keys create` printed a secret ("store it now") that no gateway accepted, and
 * `teams set` reported a budget it had kept nowhere, both exiting 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../support/cli.js';

let dir: string;
let file: string;
let gateway: RunningCli | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-keys-memory-'));
  file = join(dir, 'gateway.config.json');
  writeFileSync(file, JSON.stringify({ store: 'memory', providers: { demo: { type: 'demo' } }, plugins: ['gateway:auth'] }));
});
afterAll(async () => {
  await gateway?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('keys and teams on a memory store', () => {
  it('keys create does not hand out a secret no gateway will accept', async () => {
    gateway = await startCli(['--config', file, '--port', '0'], { cwd: dir });
    const created = runCli(['keys', 'create', '--name', 'lost', '--json', '--config', file], { cwd: dir });
    if (created.status === 0) {
      // Printed as created: then the running gateway must accept it.
      const { secret } = JSON.parse(created.stdout) as { secret: string };
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
    } else {
      expect(created.status).toBe(1);
      expect(created.stderr).toMatch(/memory/);
    }
  }, 30_000);

  it('teams set does not report a budget it kept nowhere', () => {
    const set = runCli(['teams', 'set', 'infra', '--daily-usd', '5', '--config', file], { cwd: dir });
    expect(set.status).not.toBe(0);
    expect(set.status).toBe(1);
    expect(set.stderr).toMatch(/memory/);
  });
});
