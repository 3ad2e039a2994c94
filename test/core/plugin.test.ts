import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config/config-error.js';
import { definePlugin, isGatewayPlugin } from '../../core/plugin.js';

const retry = definePlugin<{ attempts?: number; backoff?: { initialMs?: number }; apiKey?: string }>({
  name: 'gateway:retry',
  order: 'pre',
  requires: ['gateway:breaker'],
  secretOptions: ['apiKey'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      attempts: { type: 'integer', minimum: 1, default: 2 },
      backoff: { type: 'object', properties: { initialMs: { type: 'integer', minimum: 0, default: 100 } }, default: {} },
      apiKey: { type: 'string', minLength: 10 },
    },
  },
  create: (options) => ({ upstream: (next) => next, close: () => void options }),
});

describe('definePlugin', () => {
  it('fills schema defaults and copies name, order and requires', () => {
    let seen: unknown;
    const plugin = definePlugin<{ attempts?: number }>({
      name: 'p',
      schema: { type: 'object', properties: { attempts: { type: 'integer', default: 3 } } },
      create: (options) => {
        seen = options;
        return {};
      },
    })();
    expect(seen).toEqual({ attempts: 3 });
    expect(plugin.name).toBe('p');
    const full = retry({});
    expect(full).toMatchObject({ name: 'gateway:retry', order: 'pre', requires: ['gateway:breaker'] });
    expect(isGatewayPlugin(full)).toBe(true);
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

  it('does not mutate the caller\'s options object', () => {
    const options = { attempts: 3 };
    retry(options);
    expect(options).toEqual({ attempts: 3 });
  });
});
