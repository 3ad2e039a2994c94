/**
 * `llm-gateway keys` and `llm-gateway teams`, the real CLI as a child process: a key created on the
 * command line calls a running gateway (both sharing the SQLite store), is listed without its
 * secret, and once revoked is refused with a 401; a budget given to a team on the command line
 * holds the team's keys within a second, is listed, and once removed lets them through again.
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
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-keys-'));
  upstream = await startMockUpstream();
  config = join(dir, 'gateway.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      store: `sqlite://${join(dir, 'state', 'gateway.sqlite')}`,
      providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      // No key cache, so the revocation below is seen by the running gateway at once.
      plugins: [['gateway:auth', { cacheTtlMs: 0 }]],
    }),
  );
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('creates, lists and revokes keys that a running gateway honours', async () => {
  const created = runCli(['keys', 'create', '--config', config, '--name', 'ci-bot', '--team', 'infra', '--rpm', '100', '--daily-usd', '5', '--json']);
  expect(created.stderr).toBe('');
  expect(created.status).toBe(0);
  const key = JSON.parse(created.stdout) as { id: string; secret: string; limits: unknown; budget: unknown };
  expect(key).toMatchObject({ limits: { rpm: 100 }, budget: { dailyUsd: 5 } });

  const listed = runCli(['keys', 'list', '--config', config]);
  expect(listed.stdout).toContain(key.id);
  expect(listed.stdout).toContain('ci-bot');
  expect(listed.stdout).toContain('active');
  expect(listed.stdout).not.toContain(key.secret);

  const cli = await startCli(['--config', config, '--port', '0']);
  try {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'from the cli' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: from the cli');

    const revoked = runCli(['keys', 'revoke', key.id, '--config', config]);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${key.id}`);
    const error = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'again' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(cli.output()).not.toContain(key.secret);
  } finally {
    await cli.stop();
  }
  expect(runCli(['keys', 'list', '--config', config]).stdout).toContain('revoked');
});

it('explains a bad key spec and an unknown action', () => {
  const bad = runCli(['keys', 'create', '--config', config, '--name', 'x', '--rpm', 'lots']);
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('--rpm must be a number');
  // An empty value is not 0 (a budget of nothing).
  const empty = runCli(['keys', 'create', '--config', config, '--name', 'x', '--daily-usd=']);
  expect(empty.status).not.toBe(0);
  expect(empty.stderr).toContain('--daily-usd must be a number (found "")');
  const unknown = runCli(['keys', 'rename', '--config', config]);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('usage: llm-gateway keys');
  const noId = runCli(['keys', 'rotate', '--config', config]);
  expect(noId.status).toBe(2);
  expect(noId.stderr).toContain('usage: llm-gateway keys rotate <key id>');
  for (const grace of ['soon', '', '-5']) {
    const badGrace = runCli(['keys', 'rotate', 'key_x', `--grace=${grace}`, '--config', config]);
    expect(badGrace.status, grace).not.toBe(0);
    expect(badGrace.stderr).toContain('graceSeconds');
  }
});

it('rotates a key beside a running gateway: the new secret works there, the old one stops at once or after its grace', async () => {
  const created = JSON.parse(runCli(['keys', 'create', '--config', config, '--name', 'rotating', '--json']).stdout) as { id: string; secret: string };
  const cli = await startCli(['--config', config, '--port', '0']);
  const ask = (secret: string) => new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
  try {
    expect((await ask(created.secret)).choices[0]?.message.content).toBe('echo: hi');
    const graced = runCli(['keys', 'rotate', created.id, '--grace', '600', '--config', config]);
    expect(graced.status).toBe(0);
    const second = /\n {2}(gw-\S+)\n/.exec(graced.stdout)![1]!;
    expect(graced.stdout).toContain(`rotated ${created.id} (rotating)`);
    expect(graced.stdout).toMatch(/old secret \(gw-.{4}…\) is accepted until \d{4}-/);
    // Within its grace the old secret still works, beside the new one.
    expect((await ask(created.secret)).choices[0]?.message.content).toBe('echo: hi');
    expect((await ask(second)).choices[0]?.message.content).toBe('echo: hi');

    const rotated = JSON.parse(runCli(['keys', 'rotate', created.id, '--json', '--config', config]).stdout) as { id: string; secret: string; previous?: unknown };
    expect(rotated.id).toBe(created.id);
    expect(rotated.previous).toBeUndefined();
    // A rotation without grace ends the secret it replaces and the one still in its grace.
    for (const old of [created.secret, second]) expect(await ask(old).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await ask(rotated.secret)).choices[0]?.message.content).toBe('echo: hi');
    expect(cli.output()).not.toContain(rotated.secret);
  } finally {
    await cli.stop();
  }
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
  // Six CLI processes and two waits for the gateway to read the store: 6 s alone, past 20 s with
  // the suite's other files and a callgrind run on the same two cores.
}, 60_000);

it('explains a bad budget, a missing team and an unknown action', () => {
  const cases: Array<[args: string[], message: string]> = [
    [['set', 'search', '--daily-usd', 'lots'], '--daily-usd must be a number'],
    [['set', 'search'], 'give budget.dailyUsd, budget.monthlyUsd or both'],
    [['remove'], 'teams remove needs a team'],
    [['rename'], 'usage: llm-gateway teams'],
    [['remove', 'nobody'], 'no budget was given to team nobody while running'],
  ];
  for (const [args, message] of cases) {
    const refused = runCli(['teams', ...args, '--config', config]);
    expect(refused.status, args.join(' ')).not.toBe(0);
    expect(refused.stderr, args.join(' ')).toContain(message);
  }
});
