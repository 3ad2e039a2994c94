/**
 * The `llm-gateway` command as users run it: a child process, the root config, env variables.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../support/cli.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { freePort } from '../support/free-port.js';

let upstream: MockUpstream;
let dir: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-cli-'));
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(args: string[], env: Record<string, string> = {}): Promise<RunningCli> {
  const cli = await startCli(args, { env });
  running.push(cli);
  return cli;
}

function writeConfig(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

describe('start with the root gateway.config.ts', () => {
  it('serves the demo provider when no provider variable is set', async () => {
    const cli = await start(['--port', '0']);
    await expect.poll(() => cli.output()).toMatch(/DEMO provider/);
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'hello gateway' }] });
    expect(answer.choices[0]?.message.content).toMatch(/^\[demo\] You said: "hello gateway"/);
    const stream = await client.chat.completions.create({ model: 'demo/echo', stream: true, messages: [{ role: 'user', content: 'stream me' }] });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe(answer.choices[0]?.message.content?.replace('hello gateway', 'stream me'));
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['demo/echo']);
    expect(await cli.stop()).toBe(0);
  });

  it.each([
    ['GROQ_API_KEY', 'groq', { GROQ_API_KEY: 'gsk-test', GROQ_BASE_URL: '' }],
    ['OPENAI_API_KEY', 'openai', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: '' }],
  ])('enables a provider from %s, with its base URL overridable', async (_variable, id, env) => {
    const key = Object.values(env)[0]!;
    const urlVariable = Object.keys(env)[1]!;
    const cli = await start(['--port', '0'], { ...env, [urlVariable]: upstream.baseURL });
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await expect.poll(async () => (await client.models.list()).data.map((m) => m.id)).toContain(`${id}/mock-small`);
    upstream.requests.length = 0;
    const answer = await client.chat.completions.create({ model: `${id}/mock-small`, messages: [{ role: 'user', content: 'via env' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: via env');
    const chat = upstream.requests.find((r) => r.path === '/v1/chat/completions');
    expect(chat?.headers.authorization).toBe(`Bearer ${key}`);
    expect(cli.output()).not.toContain(key);
    await cli.stop();
  });

  it('enables anthropic from ANTHROPIC_API_KEY for both kinds of client, a bare model name included', async () => {
    const cli = await start(['--port', '0'], { ANTHROPIC_API_KEY: 'sk-ant-env', ANTHROPIC_BASE_URL: upstream.baseURL.replace(/\/v1$/, '') });
    const openai = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await expect.poll(async () => (await openai.models.list()).data.map((m) => m.id)).toContain('anthropic/mock-small');
    upstream.requests.length = 0;
    const answer = await openai.chat.completions.create({ model: 'anthropic/mock-small', messages: [{ role: 'user', content: 'via env' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: via env');
    // As Claude Code does: ANTHROPIC_BASE_URL at the gateway, the model named as Anthropic names it.
    const claude = new Anthropic({ baseURL: cli.url, apiKey: 'unused', maxRetries: 0 });
    const message = await claude.messages.create({ model: 'mock-small', max_tokens: 10, messages: [{ role: 'user', content: 'bare' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: bare' }]);
    const sent = upstream.requests.filter((r) => r.path === '/v1/messages');
    expect(sent.map((r) => r.headers['x-api-key'])).toEqual(['sk-ant-env', 'sk-ant-env']);
    expect(cli.output()).not.toContain('sk-ant-env');
    await cli.stop();
  });

  it('enables ollama from OLLAMA_BASE_URL given without /v1', async () => {
    const cli = await start(['--port', '0'], { OLLAMA_BASE_URL: upstream.baseURL.replace(/\/v1$/, '') });
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'ollama/mock-small', messages: [{ role: 'user', content: 'local' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: local');
    await cli.stop();
  });

  it('honours PORT', async () => {
    const port = String(await freePort());
    const cli = await start([], { PORT: port });
    expect(cli.url).toBe(`http://127.0.0.1:${port}`);
    await cli.stop();
  });
});

describe('start with other config formats', () => {
  it.each([
    ['json', (url: string) => JSON.stringify({ providers: { up: { type: 'openai-compatible', baseURL: url } } })],
    ['yaml', (url: string) => `providers:\n  up:\n    type: openai-compatible\n    baseURL: ${url}\n`],
    ['mjs', (url: string) => `export default { providers: { up: { type: 'openai-compatible', baseURL: '${url}' } } };\n`],
  ])('loads a .%s config given with --config', async (extension, content) => {
    const file = writeConfig(`gateway.config.${extension}`, content(upstream.baseURL));
    const cli = await start(['--config', file, '--port', '0', '--host', '127.0.0.1']);
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'up/mock-small', messages: [{ role: 'user', content: extension }] });
    expect(answer.choices[0]?.message.content).toBe(`echo: ${extension}`);
    await cli.stop();
  });

  it('reads { env } references, and a missing variable fails at start naming it', async () => {
    const file = writeConfig('env.json', { providers: { up: { type: 'openai-compatible', baseURL: { env: 'UP_URL' }, apiKey: { env: 'UP_KEY' } } } });
    const cli = await start(['--config', file, '--port', '0'], { UP_URL: upstream.baseURL, UP_KEY: 'from-env-123' });
    upstream.requests.length = 0;
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'up/mock-small', messages: [{ role: 'user', content: 'x' }] });
    expect(upstream.requests.find((r) => r.path === '/v1/chat/completions')?.headers.authorization).toBe('Bearer from-env-123');
    await cli.stop();

    const failed = runCli(['start', '--config', file, '--port', '0'], { env: { UP_URL: upstream.baseURL } });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/config\/providers\/up\/apiKey reads environment variable UP_KEY, which is not set/);
  });
});

describe('check', () => {
  it('prints the resolved pipeline with secrets masked', () => {
    const secret = 'sk-live-very-secret-value-9876';
    const file = writeConfig('check.json', {
      server: { host: '0.0.0.0' },
      providers: { up: { type: 'openai-compatible', baseURL: 'https://api.example.test/v1', apiKey: secret } },
      models: { coding: { targets: ['up/small', 'up/large'] } },
    });
    const result = runCli(['check', '--config', file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(secret.slice(-2));
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).toMatch(/up\s+openai-compatible\s+baseURL="https:\/\/api\.example\.test\/v1" apiKey="\*\*\*76"/);
    expect(result.stdout).toMatch(/coding\s+fallback\s+up\/small → up\/large/);
    expect(result.stdout).toMatch(/request pipeline[\s\S]*dispatch[\s\S]*upstream pipeline[\s\S]*provider call/);
    expect(result.stdout).toMatch(/no auth plugin and the gateway listens on 0\.0\.0\.0/);
    expect(result.stdout).toContain('✓ config is valid');
  });

  it.each([
    ['a port of the wrong type', { server: { port: 'eighty' } }, 'config/server/port must be an integer (found "eighty")'],
    ['a port out of range', { server: { port: 70000 } }, 'config/server/port must be <= 65535 (found 70000)'],
    ['an unknown top-level key', { servr: {} }, 'config/servr is not a known option'],
    ['an unknown provider type', { providers: { g: { type: 'grok' } } }, 'config/providers/g/type must be one of: "openai", "openai-compatible", "anthropic", "gemini", "azure-openai", "demo" (found "grok")'],
    ['a provider option of the wrong type', { providers: { g: { type: 'openai-compatible', baseURL: 42 } } }, 'config/providers/g/baseURL must be a string (found 42)'],
    ['a missing provider option', { providers: { g: { type: 'openai-compatible' } } }, 'config/providers/g/baseURL is required'],
    ['a virtual model on an unknown provider', { models: { m: { targets: ['ghost/x'] } } }, 'config/models/m/targets/0 names provider "ghost", which is not configured'],
    ['an unknown plugin package', { plugins: ['llm-gateway-plugin-does-not-exist'] }, 'cannot find package "llm-gateway-plugin-does-not-exist"'],
    ['a bad log level', { logging: { level: 'loud' } }, 'config/logging/level must be one of: "debug", "info", "warn", "error", "silent" (found "loud")'],
    ['an admin key too short (masked)', { server: { adminKey: 'too-short-key' } }, 'config/server/adminKey must be at least 16 characters long (found "***ey")'],
  ])('explains %s', (_what, config, expected) => {
    const file = writeConfig('broken.json', config);
    const result = runCli(['check', '--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('✗ config is invalid');
    expect(result.stderr).toContain(expected);
  });

  it.skipIf(!process.env.DATABASE_URL)('shows where state and usage go, with a database password masked', () => {
    // Trust authentication ignores the password, so this URL works against the test database.
    const url = new URL(process.env.DATABASE_URL!);
    url.username ||= 'postgres';
    url.password = 'hunter2-secret';
    const file = writeConfig('usage.json', { store: 'memory', usageLog: url.toString(), providers: { demo: { type: 'demo' } }, plugins: ['gateway:usage-logger'] });
    const result = runCli(['check', '--config', file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('store: memory');
    expect(result.stdout).toMatch(/usage log: postgres:\/\/[^:]+:\*\*\*@/);
    expect(result.stdout).not.toContain('hunter2-secret');
  });

  it('masks a secret even in an error about it', () => {
    const secret = 'sk-should-never-print-1234';
    const file = writeConfig('secret.json', { providers: { g: { type: 'openai-compatible', baseURL: 'https://x.test/v1', apiKey: secret, bogus: 1 } } });
    const result = runCli(['check', '--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/providers/g/bogus is not a known option');
    expect(result.stderr + result.stdout).not.toContain(secret);
  });

  it('explains a JSON syntax error and a missing file', () => {
    const file = writeConfig('syntax.json', '{ "providers": ');
    const syntax = runCli(['check', '--config', file]);
    expect(syntax.status).toBe(1);
    expect(syntax.stderr).toMatch(/cannot load config .*syntax\.json/);
    const missing = runCli(['check', '--config', join(dir, 'nope.json')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/config file not found/);
  });
});

describe('init, help and version', () => {
  it('init writes a starter config and does not overwrite it without --force', () => {
    const folder = mkdtempSync(join(dir, 'init-'));
    const first = runCli(['init'], { cwd: folder });
    expect(first.status).toBe(0);
    expect(readFileSync(join(folder, 'gateway.config.ts'), 'utf8')).toContain("from 'llm-gateway'");
    const again = runCli(['init'], { cwd: folder });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists; use --force/);
    expect(runCli(['init', '--force'], { cwd: folder }).status).toBe(0);
  });

  it('prints help and version, and refuses unknown commands and options', () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/llm-gateway start \[--config FILE\]/);
    const version = runCli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version);
    expect(runCli(['launch']).status).toBe(2);
    expect(runCli(['start', '--prot', '1']).status).toBe(2);
  });
});
