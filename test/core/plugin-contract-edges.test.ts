/**
 * The public plugin contract as a third-party author meets it (docs/plugins.md): failures at start
 * name the plugin whatever was thrown (core/thrown.ts), `requires` sees every plugin the gateway
 * runs, and `definePlugin`'s `defaults` accept what an options object may hold. Each case failed
 * before its fix, as its comment says.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, definePlugin } from '../../index.js';
import { silentLogger } from '../../core/logger.js';
import { anthropicPlugin } from '../../plugins/anthropic/index.js';
import { startGateway, startMockUpstream, mockProvider, type MockUpstream } from '../../sdk/testing.js';

let dir: string;
let upstream: MockUpstream;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'contract-sdk-auth-'));
  upstream = await startMockUpstream();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await upstream?.close();
});

/** An npm package in `dir/node_modules` whose default export is `source`. */
function installPackage(name: string, source: string): void {
  mkdirSync(join(dir, 'node_modules', name), { recursive: true });
  writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, type: 'module', exports: './index.js' }));
  writeFileSync(join(dir, 'node_modules', name, 'index.js'), source);
}

const startFails = (config: Parameters<typeof createGateway>[0], baseDir?: string) =>
  createGateway({ store: 'memory', ...config }, { logger: silentLogger, ...(baseDir ? { baseDir } : {}) }).then(
    async (gateway) => {
      await gateway.close();
      throw new Error('the gateway started');
    },
    (error: unknown) => error as Error,
  );

describe('a plugin whose setup throws something that is not an Error', () => {
  // Expected: "plugin <name> failed in setup: ..." (core/plugin-setup.ts wraps every setup failure so
  // the operator learns which plugin broke). JavaScript lets code throw any value, and a third-party
  // plugin (or a library it calls) may throw `undefined` or a string.
  // Before its fix: core/plugin-setup.ts:79 reads `(error as Error).name` on the thrown value: `throw
  // undefined` escapes as a bare TypeError ("Cannot read properties of undefined (reading 'name')")
  // naming no plugin.
  it('names the plugin when setup throws undefined', async () => {
    const broken = definePlugin({ name: 'contract-broken-setup', setup() { throw undefined; } });
    const error = await startFails({ plugins: [broken()] });
    expect(error.message).toContain('contract-broken-setup');
  });

  // Before its fix: core/plugin-setup.ts:80 builds the message from `(error as Error).message`, undefined for
  // a string: "plugin review-string-setup failed in setup: undefined" – what was thrown is lost.
  it('keeps what was thrown when setup throws a string', async () => {
    const broken = definePlugin({ name: 'contract-string-setup', setup() { throw 'the license file is missing'; } });
    const error = await startFails({ plugins: [broken()] });
    expect(error.message).toContain('contract-string-setup');
    expect(error.message).toContain('the license file is missing');
  });
});

describe('a plugin package, loaded by name, whose factory throws something that is not an Error', () => {
  // Expected (core/config/load-plugins.ts header, docs/plugins.md "Using one"): every problem is a
  // ConfigError line naming its entry: `config/plugins/0 <package>: ...`.
  // Before its fix: load-plugins.ts:36 reads `(error as Error).name` in its catch: `throw undefined` escapes
  // as a bare TypeError naming neither the entry nor the package.
  it('reports `throw undefined` as a config problem naming the package', async () => {
    installPackage('contract-throws-undefined', 'export default function factory() { throw undefined; }\n');
    const error = await startFails({ plugins: ['contract-throws-undefined'] }, dir);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain('config/plugins/0 contract-throws-undefined');
  });

  // Before its fix: load-plugins.ts:40 prints `(error as Error).message`: "config/plugins/0 contract-throws-string: undefined".
  it('reports a thrown string as what went wrong', async () => {
    installPackage('contract-throws-string', "export default function factory() { throw 'option deny is required'; }\n");
    const error = await startFails({ plugins: ['contract-throws-string'] }, dir);
    expect(error.message).toContain('option deny is required');
  });
});

describe('requires', () => {
  // docs/plugins.md §9: "`requires: [...]` makes the gateway refuse to start without that plugin".
  // The first-party API plugins (gateway:openai, gateway:anthropic, gateway:responses, ...) are
  // always loaded (index.ts builtinPlugins) and run in the pipeline (gateway.plugins lists them), so
  // a plugin that builds on the Anthropic front-end may require it.
  // Before its fix: core/config/load-plugins.ts:44-52 checks `requires` only against the config's own
  // plugins, so the gateway refuses to start: `requires plugin "gateway:anthropic", which is not configured`.
  it('is satisfied by a first-party plugin every gateway loads', async () => {
    const needsAnthropic = definePlugin({ name: 'contract-needs-anthropic', requires: ['gateway:anthropic'] });
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [needsAnthropic()] });
    try {
      expect(gw.gateway.plugins.map((p) => p.name)).toContain('gateway:anthropic');
    } finally {
      await gw.close();
    }
  });
});

describe('a config that lists a plugin every gateway loads', () => {
  // Before its fix the duplicate went unnoticed (the check saw only the config's own plugins), and
  // the API's plugin ran twice: its routes and front-end registered twice over.
  it('is refused, naming the plugin', async () => {
    const error = await startFails({ plugins: [anthropicPlugin()] });
    expect(error.message).toContain('"gateway:anthropic", which every gateway loads already');
  });
});

describe('definePlugin defaults', () => {
  // docs/plugins.md §1: `defaults` are "filled in under what the user gives" and setup receives them
  // typed as present. A callback is an ordinary option for a TypeScript plugin (a hook the user may
  // replace: `onBlocked`, `redact`, `shouldCache`).
  // Before its fix: core/define-plugin.ts:108 copies the defaults with structuredClone, which cannot clone a
  // function: calling the factory throws `DataCloneError: () => ... could not be cloned`, so the
  // plugin can never be configured.
  it('accepts a function among the defaults and hands it to setup', async () => {
    let seen: unknown;
    const tagger = definePlugin<{ tag?: (id: string) => string }, { tag: (id: string) => string }>({
      name: 'contract-function-default',
      defaults: { tag: (id) => `req-${id}` },
      setup(_host, options) {
        seen = options.tag;
        return {
          async middleware(ctx, next) {
            await next();
            ctx.http.set('x-review-tag', options.tag('1'));
          },
        };
      },
    });
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [tagger()] });
    try {
      expect(typeof seen).toBe('function');
      const { response } = await new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions
        .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(response.headers.get('x-review-tag')).toBe('req-1');
    } finally {
      await gw.close();
    }
  });
});
