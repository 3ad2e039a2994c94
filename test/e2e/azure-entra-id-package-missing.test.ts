/**
 * Without @azure/identity installed (it is an optional peer dependency), a provider with `entraId`
 * is refused at start, saying what to install. The package is made unfindable for this file only.
 */
import { expect, it, vi } from 'vitest';

vi.mock('node:module', async (original) => {
  const actual = await original<typeof import('node:module')>();
  return {
    ...actual,
    createRequire: (url: string | URL) => {
      const real = actual.createRequire(url);
      return Object.assign((id: string) => {
        if (id === '@azure/identity') throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
        return real(id);
      }, real);
    },
  };
});

it('refuses the provider with a ConfigError naming the package to install', async () => {
  const { startGateway } = await import('../support/gateway.js');
  const error = (await startGateway({ providers: { az: { type: 'azure-openai', endpoint: 'https://acme.openai.azure.com', entraId: true } } }).catch((e: unknown) => e)) as { name: string; message: string; problems?: string[] };
  expect(error.name).toBe('ConfigError');
  expect([error.message, ...(error.problems ?? [])].join('\n')).toContain('config/providers/az/entraId needs the package @azure/identity');
});

it('refuses the provider made from AZURE_OPENAI_ENDPOINT without a key the same way, saying the key would do too', async () => {
  const { startGateway } = await import('../support/gateway.js');
  const { providersFromEnv } = await import('../../plugins/presets.js');
  const error = (await startGateway({ providers: providersFromEnv({ AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com' }) }).catch((e: unknown) => e)) as { name: string; message: string; problems?: string[] };
  expect(error.name).toBe('ConfigError');
  expect([error.message, ...(error.problems ?? [])].join('\n')).toMatch(/config\/providers\/azure\/entraId needs the package @azure\/identity.*AZURE_OPENAI_API_KEY/);
});
