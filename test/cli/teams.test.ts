/**
 * `llm-gateway teams`, the real CLI as a child process beside a running gateway (both on one
 * SQLite store): a budget given to a team on the command line holds the team's keys within a
 * second, is listed, and once removed lets them through again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let dir: string;
let upstream: MockUpstream;
let config: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-teams-'));
  upstream = await startMockUpstream();
  config = join(dir, 'gateway.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      store: `sqlite://${join(dir, 'state', 'gateway.sqlite')}`,
      providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      plugins: [['gateway:auth', { cacheTtlMs: 0 }]],
    }),
  );
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('gives a team a budget that a running gateway holds its keys to, lists it, and takes it back', async () => {
  const key = JSON.parse(runCli(['keys', 'create', '--config', config, '--name', 'indexer', '--team', 'search', '--json']).stdout) as { secret: string };
  const cli = await startCli(['--config', config, '--port', '0']);
  try {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }).then(() => 'served', (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).code);
    expect(await ask()).toBe('served');

    // A budget of nothing: every request of the team is refused, once the gateway has read it.
    const set = runCli(['teams', 'set', 'search', '--monthly-usd', '0', '--config', config]);
    expect(set.stderr).toBe('');
    expect(set.stdout).toContain('search  monthly=$0');
    await vi.waitFor(async () => expect(await ask()).toBe('team_monthly_budget_exceeded'), { timeout: 5000, interval: 200 });

    const listed = runCli(['teams', 'list', '--json', '--config', config]);
    expect(JSON.parse(listed.stdout)).toEqual([{ team: 'search', budget: { monthlyUsd: 0 }, source: 'admin' }]);

    const removed = runCli(['teams', 'remove', 'search', '--config', config]);
    expect(removed.stdout).toContain('removed the budget given to team search');
    await vi.waitFor(async () => expect(await ask()).toBe('served'), { timeout: 5000, interval: 200 });
  } finally {
    await cli.stop();
  }
  expect(runCli(['teams', 'list', '--config', config]).stdout).toContain('no team budgets given while running');
});

it('explains a bad budget, a missing team and an unknown action', () => {
  const bad = runCli(['teams', 'set', 'search', '--daily-usd', 'lots', '--config', config]);
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('--daily-usd must be a number');
  const none = runCli(['teams', 'set', 'search', '--config', config]);
  expect(none.status).not.toBe(0);
  expect(none.stderr).toContain('give budget.dailyUsd, budget.monthlyUsd or both');
  const noTeam = runCli(['teams', 'remove', '--config', config]);
  expect(noTeam.status).toBe(2);
  expect(noTeam.stderr).toContain('teams remove needs a team');
  const unknown = runCli(['teams', 'rename', '--config', config]);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('usage: llm-gateway teams');
  const missing = runCli(['teams', 'remove', 'nobody', '--config', config]);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('no budget was given to team nobody while running');
});
