import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError } from '../../core/config/config-error.js';
import { defineSlot } from '../../core/context.js';
import { definePlugin, optionsOf } from '../../core/define-plugin.js';
import { isGatewayPlugin, type PluginHost } from '../../core/plugin.js';
import { defineService } from '../../core/services.js';

interface RetryLike {
  attempts?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  apiKey?: string;
}
const defaults = { attempts: 2, backoff: { initialMs: 100, maxMs: 1000 } } satisfies RetryLike;
let seen: unknown;

const retry = definePlugin<RetryLike, typeof defaults>({
  name: 'gateway:retry',
  order: 'pre',
  requires: ['gateway:breaker'],
  secretOptions: ['apiKey'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      attempts: { type: 'integer', minimum: 1 },
      backoff: { type: 'object', additionalProperties: false, properties: { initialMs: { type: 'integer', minimum: 0 }, maxMs: { type: 'integer', minimum: 0 } } },
      apiKey: { type: 'string', minLength: 10 },
    },
  },
  defaults,
  setup(_host, options) {
    // Defaulted options are typed as present: no `!` needed.
    expectTypeOf(options.attempts).toEqualTypeOf<number>();
    expectTypeOf(options.backoff.initialMs).toEqualTypeOf<number>();
    expectTypeOf(options.apiKey).toEqualTypeOf<string | undefined>();
    seen = options;
    return { upstream: (next) => next };
  },
});

const host = {} as PluginHost;

describe('definePlugin', () => {
  it('merges defaults under the given options, nested objects key by key, and hands them to setup', async () => {
    const plugin = retry({ backoff: { maxMs: 5000 } });
    expect(plugin).toMatchObject({ name: 'gateway:retry', order: 'pre', requires: ['gateway:breaker'] });
    expect(isGatewayPlugin(plugin)).toBe(true);
    const hooks = await plugin.setup?.(host);
    expect(seen).toEqual({ attempts: 2, backoff: { initialMs: 100, maxMs: 5000 } });
    expect(hooks).toHaveProperty('upstream');
  });

  it('gives every instance its own copy of the defaults', async () => {
    await retry().setup?.(host);
    (seen as { backoff: { initialMs: number } }).backoff.initialMs = 9;
    await retry().setup?.(host);
    expect(seen).toEqual({ attempts: 2, backoff: { initialMs: 100, maxMs: 1000 } });
    expect(defaults.backoff.initialMs).toBe(100);
  });

  it.each([
    [{ attempts: 0 }, 'gateway:retry: options/attempts must be >= 1 (found 0)'],
    [{ attempts: 'two' }, 'gateway:retry: options/attempts must be an integer (found "two")'],
    [{ retries: 2 }, 'gateway:retry: options/retries is not a known option (found 2)'],
    [{ backoff: { initialMs: -1 } }, 'gateway:retry: options/backoff/initialMs must be >= 0 (found -1)'],
    [{ apiKey: 'short-key' }, 'gateway:retry: options/apiKey must be at least 10 characters long (found "***ey")'],
  ])('refuses %j with a message naming the plugin, the path and the value', (options, message) => {
    let error: unknown;
    try {
      retry(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain(message);
  });

  it("does not mutate the caller's options object", () => {
    const options = { attempts: 3, backoff: { initialMs: 1 } };
    retry(options);
    expect(options).toEqual({ attempts: 3, backoff: { initialMs: 1 } });
  });

  it('carries the data a plugin declares: provider types, request options, config sections', () => {
    const plugin = definePlugin({ name: 'p', requestOptions: { cache: { type: 'boolean' } }, configSections: { p: { type: 'object' } } })();
    expect(plugin).toMatchObject({ name: 'p', requestOptions: { cache: { type: 'boolean' } }, configSections: { p: { type: 'object' } } });
    expect(plugin.setup).toBeUndefined();
  });
});

describe('slots and services', () => {
  it('keep their identity across copies of the module (a plugin package with its own llm-gateway)', () => {
    expect(defineSlot<string>('test:slot').key).toBe(defineSlot<string>('test:slot').key);
    expect(defineService<string>('test:service').key).toBe(defineService<string>('test:service').key);
    expect(defineSlot<string>('test:slot').key).not.toBe(defineService<string>('test:slot').key);
  });
});

describe('the options a plugin was made with', () => {
  it('are kept, defaults filled in, for tools that read a config without building a gateway, and never shown', () => {
    const plugin = retry({ attempts: 5, apiKey: 'a secret key of the test' });
    expect(optionsOf(plugin)).toEqual({ attempts: 5, backoff: { initialMs: 100, maxMs: 1000 }, apiKey: 'a secret key of the test' });
    expect(JSON.stringify(plugin)).not.toContain('secret');
    expect(Object.getOwnPropertySymbols({ ...plugin })).toEqual([]);
    expect(optionsOf({ name: 'hand-made' })).toBeUndefined();
  });
});
