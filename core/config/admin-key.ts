/**
 * The admin key, one for the whole gateway: `server.adminKey`, else the deprecated `adminKey`
 * option of a plugin (`auth({ adminKey })`, `dashboard({ adminKey })`, carried as the plugin's
 * `adminKey`), else the LLM_GATEWAY_ADMIN_KEY variable. Two different keys are a config error.
 */
import { keepSecret } from './resolve-providers.js';
import type { GatewayPlugin } from '../plugin.js';
import type { EnvReference, KernelConfig } from './kernel-config.js';

export const ADMIN_KEY_VARIABLE = 'LLM_GATEWAY_ADMIN_KEY';
export const ADMIN_KEY_MIN_LENGTH = 16;

export function resolveAdminKey(raw: KernelConfig, plugins: readonly GatewayPlugin[], env: NodeJS.ProcessEnv, problems: string[], secrets: Set<string>): string | undefined {
  const given = fromConfig(raw.server?.adminKey, env, problems);
  const aliases = plugins.filter((plugin): plugin is GatewayPlugin & { adminKey: string } => typeof plugin.adminKey === 'string');
  for (const plugin of aliases) {
    const other = given ?? aliases[0]!.adminKey;
    if (plugin.adminKey !== other) {
      const against = given === undefined ? `${aliases[0]!.name}'s adminKey option` : 'config/server/adminKey';
      problems.push(`${plugin.name}'s adminKey option differs from ${against}: the gateway has one admin key, set it once in config/server/adminKey`);
    }
  }
  const fromEnv = env[ADMIN_KEY_VARIABLE] || undefined;
  const key = given ?? aliases[0]?.adminKey ?? fromEnv;
  if (key === undefined) return undefined;
  keepSecret(secrets, key);
  // The schemas check a key written in the config; a shorter key is too easy to guess.
  const written = typeof raw.server?.adminKey === 'string' || (given === undefined && aliases.length > 0);
  if (!written && key.length < ADMIN_KEY_MIN_LENGTH) {
    const source = given === undefined ? ADMIN_KEY_VARIABLE : `config/server/adminKey (variable ${(raw.server!.adminKey as EnvReference).env})`;
    problems.push(`${source} (the admin key) must be at least ${ADMIN_KEY_MIN_LENGTH} characters long (found ${key.length})`);
  }
  return key;
}

/** Reports an unset variable that `server.adminKey` names, where the rest of the key cannot be resolved. */
export function checkAdminKeyVariable(raw: KernelConfig, env: NodeJS.ProcessEnv, problems: string[]): void {
  fromConfig(raw.server?.adminKey, env, problems);
}

/** `server.adminKey` as written, or read from the variable it names. */
function fromConfig(value: string | EnvReference | undefined, env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  const found = env[value.env] || value.default;
  if (!found) problems.push(`config/server/adminKey reads environment variable ${value.env}, which is not set`);
  return found || undefined;
}
