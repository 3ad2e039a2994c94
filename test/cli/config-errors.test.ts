/**
 * Configuration errors as a user meets them (a JSON or YAML syntax error's reason; no secret in any
 * message or in `check`'s output), live changes held to the config file's rules, and a live change
 * the store did not take, which no replica serves. The built CLI as a child process, real sockets;
 * each case names the behaviour expected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, dashboard } from '../../index.js';
import { silentLogger } from '../../core/logger.js';
import { openStore, type Store } from '../../core/store/store.js';
import { CLI, cleanEnv, runCli } from '../support/cli.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'review4-config-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('llm-gateway check on broken configs', () => {
  // A JSON syntax error must say what is wrong and where (the parser's reason and position), not
  // only "JSON Error in <file>:" with nothing after the colon: load-config.ts kept only the first
  // line of cosmiconfig's message, which for JSON and YAML is the bare header.
  // The parser's message holds a code frame of the file and a quote of its text, in color where a
  // terminal has it (FORCE_COLOR, as CI sets): neither may reach the output, since they show secrets.
  it.each([['without', '0'], ['with', '1']])('names the reason of a JSON syntax error, %s color', (_name, color) => {
    const file = writeConfig('syntax.json', '{ "providers": { "g": { "type": "openai-compatible", "apiKey": "sk-secret-abcdef1234", }');
    const result = runCli(['check', '--config', file], { cwd: dir, env: { FORCE_COLOR: color } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Expected double-quoted property name in JSON at position \d+/);
    expect(result.stderr).not.toContain('sk-secret-abcdef1234');
    expect(result.stderr).not.toContain('\u001b[');
  });

  // Same for YAML: "bad indentation of a mapping entry (5:4)" is the useful part, and it is dropped.
  it('names the reason and line of a YAML syntax error', () => {
    const file = writeConfig('syntax.yaml', 'providers:\n  g:\n    type: openai-compatible\n    apiKey: sk-secret-abcdef1234\n   baseURL: x\n');
    const result = runCli(['check', '--config', file], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/bad indentation|\(5:\d+\)|line 5/);
    expect(result.stderr).not.toContain('sk-secret-abcdef1234');
  });

  // Secrets must never be printed in an error. A typo in a top-level key (`provider` for
  // `providers`) is reported with the whole object as "found", apiKey included, in clear:
  // resolve-config.ts readSections passes the raw value to describeFound, which masks only URL passwords.
  it('does not print an apiKey nested in a mistyped top-level section', () => {
    const file = writeConfig('typo-section.json', JSON.stringify({ provider: { groq: { type: 'openai-compatible', apiKey: 'gsk_livesecret1234567890' } } }));
    const result = runCli(['check', '--config', file], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/provider');
    expect(result.stderr).not.toContain('gsk_livesecret1234567890');
  });

  // Same leak one level down: an unknown provider option holding an object with an apiKey
  // (validation.ts describeErrors masks `found` only when the offending path itself is secret-named).
  it('does not print an apiKey nested in an unknown provider option', () => {
    const file = writeConfig('typo-option.json', JSON.stringify({ store: 'memory', providers: { groq: { type: 'openai-compatible', baseURL: 'http://x', apiKey: 'x', auth: { apiKey: 'gsk_livesecret1234567890' } } } }));
    const result = runCli(['check', '--config', file], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/providers/groq/auth');
    expect(result.stderr).not.toContain('gsk_livesecret1234567890');
  });

  // `check` prints the resolved providers "with secrets masked", and masks the store URL's password,
  // but a provider baseURL with credentials (https://user:password@host) was printed in clear:
  // check.ts maskDeep masks by option name only, never URL passwords.
  it('masks the password of a provider baseURL in its output', () => {
    const file = writeConfig('url-password.json', JSON.stringify({ store: 'memory', providers: { g: { type: 'openai-compatible', baseURL: 'https://user:hunter2pass@api.example.com/v1', apiKey: 'sk-supersecretvalue123' } } }));
    const result = runCli(['check', '--config', file], { cwd: dir });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('✓ config is valid');
    expect(result.stdout).not.toContain('hunter2pass');
  });

  // A schema problem ended the check at once: the unset variable, the unknown plugin and the
  // unknown option below came one run each, after the port was mended.
  it('reports every problem of a config in one run', () => {
    const file = writeConfig('many-problems.json', JSON.stringify({
      store: 'memory',
      server: { port: 'eighty' },
      providers: { g: { type: 'openai-compatible', baseURL: 'http://x', apiKey: { env: 'NO_SUCH_VARIABLE_FOR_CHECK' } } },
      plugins: ['gateway:usage-logger'],
      usageLg: { url: 'sqlite::memory:' },
    }));
    const result = runCli(['check', '--config', file], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/server/port');
    expect(result.stderr).toContain('NO_SUCH_VARIABLE_FOR_CHECK');
    expect(result.stderr).toContain('config/usageLg is not a known option');
  });

  // Where a plugin did not load, its sections are not called unknown (they may well be its own).
  it('does not call a section unknown when a plugin failed to load', () => {
    const file = writeConfig('missing-plugin.json', JSON.stringify({ store: 'memory', server: { port: 'eighty' }, plugins: ['llm-gateway-plugin-not-installed'], notInstalledSection: {} }));
    const result = runCli(['check', '--config', file], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/server/port');
    expect(result.stderr).toContain('cannot find package "llm-gateway-plugin-not-installed"');
    expect(result.stderr).not.toContain('notInstalledSection');
  });
});

describe('live configuration changes are validated like the config file', () => {
  const ADMIN_KEY = 'admin-key-of-the-review-tests';
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway({
      providers: { demo: { type: 'demo' } },
      models: { fast: { targets: ['demo/echo'] } },
      plugins: [dashboard({ adminKey: ADMIN_KEY })],
    });
  });
  afterAll(() => gw?.close());

  const put = async (path: string, body: unknown) => {
    const response = await fetch(`${gw.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: { message: string } } };
  };

  // The file's schema (config/schema.ts) says a virtual model has at least one target; a live
  // change is "validated before it applies", but only provider names are checked (resolve-providers.ts),
  // so a model with no targets was accepted and every request to it then failed.
  it('refuses a virtual model with no targets', async () => {
    const answer = await put('/admin/config/models/empty', { targets: [] });
    expect(answer.status).toBe(400);
    expect(gw.gateway.models.virtualModel('empty')).toBeUndefined();
  });

  // A target that is neither "provider/model" nor { model } crashes resolveVirtualModel
  // (`spec.model.indexOf` on undefined): a 500 instead of a 400 naming the target.
  it('refuses a malformed target with 400, not 500', async () => {
    const answer = await put('/admin/config/models/broken', { targets: [42] });
    expect(answer.status).toBe(400);
  });

  // The schema requires weight > 0; a live change takes weight -1.
  it('refuses a negative target weight', async () => {
    const answer = await put('/admin/config/models/weighted', { targets: [{ model: 'demo/echo', weight: -1 }] });
    expect(answer.status).toBe(400);
    expect(gw.gateway.models.virtualModel('weighted')).toBeUndefined();
  });

  // `enabled`, `models` and `unsupportedParams` are checked by the kernel schema in the file and by
  // nobody on a live change (the registry skips these COMMON options): `enabled: "no"` is taken as
  // enabled, `unsupportedParams: "ignore"` is stored.
  it('refuses invalid common provider options', async () => {
    expect((await put('/admin/config/providers/demo2', { type: 'demo', enabled: 'no' })).status).toBe(400);
    expect((await put('/admin/config/providers/demo3', { type: 'demo', unsupportedParams: 'ignore' })).status).toBe(400);
    expect((await put('/admin/config/providers/demo4', { type: 'demo', models: 'echo' })).status).toBe(400);
  });
});

describe('a live change that cannot be saved is not applied', () => {
  // live-config.ts commit() swaps the new providers into the runtime first, then writes the store.
  // When the write fails (a Redis blip), the caller gets an error, yet this replica serves the change,
  // which the store, the other replicas and the next restart do not have, and the version poll
  // never corrects it. "A bad change changes nothing": the runtime should only change once stored.
  it('keeps the running providers when the store write fails', async () => {
    const memory = await openStore('memory', silentLogger);
    let failWrites = false;
    const store: Store = {
      kind: memory.kind,
      counters: memory.counters,
      exclusive: (name, work) => memory.exclusive(name, work),
      close: async () => undefined,
      kv: (namespace) => {
        const kv = memory.kv(namespace);
        if (namespace !== 'live-config') return kv;
        return {
          get: (key: never) => kv.get(key),
          delete: (key: never) => kv.delete(key),
          set: async (...args: Parameters<typeof kv.set>) => {
            if (failWrites) throw new Error('store unavailable');
            return kv.set(...args);
          },
        } as typeof kv;
      },
    } as Store;
    const gateway = await createGateway({ store: 'memory', providers: { demo: { type: 'demo' } } }, { logger: silentLogger, store });
    try {
      failWrites = true;
      await expect(gateway.live.set('provider', 'extra', { type: 'demo' }, 'test')).rejects.toThrow('store unavailable');
      expect(gateway.providers.has('extra')).toBe(false);
    } finally {
      await gateway.close();
      await memory.close();
    }
  });
});
