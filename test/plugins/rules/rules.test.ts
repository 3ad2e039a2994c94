/**
 * gateway:rules: requests go where the first matching rule says, through real sockets; and
 * `llm-gateway route` shows the decision without calling anything.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, routing, rules } from '../../../index.js';
import { silentLogger } from '../../../core/logger.js';
import { compileConditions } from '../../../plugins/rules/match.js';
import { estimatePromptTokens } from 'llm-gateway/plugin';
import { ROOT, runCli } from '../../support/cli.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

describe('conditions', () => {
  const facts = { model: 'gpt-4o', headers: { 'x-tier': 'batch' }, promptTokens: 500, metadata: { team: 'research' }, key: { id: 'key_1', name: 'ci-bot', team: 'infra' } };
  it.each([
    [{}, true],
    [{ model: 'gpt-4*' }, true],
    [{ model: 'GPT-4*' }, true],
    [{ model: 'claude-*' }, false],
    [{ headers: { 'X-Tier': 'batch' } }, true],
    [{ headers: { 'x-tier': 'inter*' } }, false],
    [{ headers: { 'x-missing': '*' } }, false],
    [{ minPromptTokens: 500 }, true],
    [{ minPromptTokens: 501 }, false],
    [{ maxPromptTokens: 499 }, false],
    [{ metadata: { team: 'res*' } }, true],
    [{ metadata: { team: 'ops' } }, false],
    [{ model: 'gpt-*', headers: { 'x-tier': 'batch' }, minPromptTokens: 100 }, true],
    [{ model: 'gpt-*', headers: { 'x-tier': 'online' } }, false],
    [{ key: 'ci-*' }, true],
    [{ key: 'key_1' }, true],
    [{ key: 'web-*' }, false],
    [{ team: 'infra' }, true],
    [{ team: 'research' }, false],
  ])('%j → %s', (when, expected) => expect(compileConditions(when)(facts)).toBe(expected));

  it('a key or team condition never matches an anonymous request', () => {
    const anonymous = { ...facts, key: undefined };
    expect(compileConditions({ key: '*' })(anonymous)).toBe(false);
    expect(compileConditions({ team: '*' })(anonymous)).toBe(false);
  });

  it('estimates prompt tokens from text content', () => {
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }, { role: 'user', content: [{ type: 'text', text: 'y'.repeat(400) }] }] })).toBe(200 + 2 * 3);
  });
});

describe('routing by rules', () => {
  let cheap: MockUpstream;
  let big: MockUpstream;
  let gw: RunningGateway;

  beforeAll(async () => {
    cheap = await startMockUpstream();
    big = await startMockUpstream();
    gw = await startGateway({
      providers: { cheap: mockProvider(cheap), big: mockProvider(big) },
      models: { 'long-context': { targets: ['big/long'] }, batch: { targets: ['cheap/small'] } },
      plugins: [
        rules({
          rules: [
            { name: 'long prompts', when: { minPromptTokens: 1000 }, route: 'long-context' },
            { name: 'batch tier', when: { headers: { 'x-tier': 'batch' } }, route: 'batch' },
            { name: 'gpt alias', when: { model: 'gpt-4*' }, route: 'cheap/small' },
            { name: 'research', when: { metadata: { team: 'research' } }, route: 'big/research' },
          ],
        }),
        routing(),
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await cheap?.close();
    await big?.close();
  });
  beforeEach(() => {
    cheap.reset();
    big.reset();
  });

  async function ask(model: string, content = 'hi', headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...extra }),
    });
    return { status: res.status, provider: res.headers.get('x-gateway-provider'), model: res.headers.get('x-gateway-model') };
  }

  it.each([
    ['a long prompt', () => ask('cheap/small', 'x'.repeat(5000)), 'big', 'long'],
    ['the batch header', () => ask('big/anything', 'hi', { 'x-tier': 'batch' }), 'cheap', 'small'],
    ['a model alias', () => ask('gpt-4o'), 'cheap', 'small'],
    ['request metadata', () => ask('cheap/other', 'hi', {}, { metadata: { team: 'research' } }), 'big', 'research'],
    ['nothing: the request as it came', () => ask('big/as-asked'), 'big', 'as-asked'],
  ])('%s decides the route', async (_what, send, provider, model) => {
    expect(await send()).toEqual({ status: 200, provider, model });
  });

  it('refuses at start a rule that routes to an unknown provider', async () => {
    await expect(
      createGateway({ providers: { cheap: mockProvider(cheap) }, plugins: [rules({ rules: [{ when: {}, route: 'ghost/x' }] })] }, { logger: silentLogger }),
    ).rejects.toThrow(/gateway:rules: options\/rules\/0\/route .*no provider 'ghost' is configured/);
  });
});

describe('llm-gateway route', () => {
  const dir = mkdtempSync(join(ROOT, 'examples', '.tmp-route-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      providers: { cheap: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' }, big: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' } },
      models: { batch: { strategy: 'weighted', targets: ['cheap/small', { model: 'big/large', params: { temperature: 0 } }] } },
      plugins: [['gateway:rules', { rules: [{ name: 'batch tier', when: { headers: { 'x-tier': 'batch' } }, route: 'batch' }] }], 'gateway:routing', ['gateway:retry', { attempts: 2 }]],
    }),
  );

  it('shows the matching rule and the targets, from a JSON config naming first-party plugins', () => {
    const result = runCli(['route', '--config', file, '--model', 'big/large', '--header', 'x-tier: batch']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('rule:     batch tier');
    expect(result.stdout).toContain('route:    virtual model batch (strategy weighted)');
    expect(result.stdout).toMatch(/1\. cheap\/small\n  2\. big\/large params=\{"temperature":0\}/);
    expect(result.stdout).toContain('(the weighted strategy reorders these per request)');
  });

  it('says when no rule matches, and refuses bad arguments', () => {
    const result = runCli(['route', '--config', file, '--model', 'big/large']);
    expect(result.stdout).toContain('rule:     none matched');
    expect(result.stdout).toContain('1. big/large');
    expect(runCli(['route', '--config', file]).status).toBe(2);
    expect(runCli(['route', '--config', file, '--model', 'x', '--header', 'novalue']).status).toBe(2);
    const unknown = runCli(['route', '--config', file, '--model', 'ghost/x']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no provider 'ghost' is configured/);
  });

  it('names an unknown first-party plugin', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ plugins: ['gateway:retri'] }));
    const result = runCli(['check', '--config', bad]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/config\/plugins\/0 gateway:retri: no first-party plugin is called that \(known: gateway:auth, gateway:token-counter, gateway:cost, gateway:usage-logger, gateway:routing, gateway:rules, gateway:retry/);
  });
});
