/**
 * The admin key, one for the whole gateway: `server.adminKey`, else the deprecated `adminKey`
 * option of a plugin (`auth({ adminKey })`, `dashboard({ adminKey })`, carried as the plugin's
 * `adminKey`), else the LLM_GATEWAY_ADMIN_KEY variable. Two different keys are a config error.
 */
import type { GatewayPlugin } from '../plugin.js';
import type { KernelConfig } from './kernel-config.js';

export const ADMIN_KEY_VARIABLE = 'LLM_GATEWAY_ADMIN_KEY';
export const ADMIN_KEY_MIN_LENGTH = 16;

export function resolveAdminKey(raw: KernelConfig, plugins: readonly GatewayPlugin[], env: NodeJS.ProcessEnv, problems: string[], secrets: Set<string>): string | undefined {
  const given = raw.server?.adminKey;
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
  secrets.add(key);
  // The schemas check the other two; a shorter key is too easy to guess.
  if (given === undefined && aliases.length === 0 && key.length < ADMIN_KEY_MIN_LENGTH) {
    problems.push(`${ADMIN_KEY_VARIABLE} (the admin key) must be at least ${ADMIN_KEY_MIN_LENGTH} characters long (found ${key.length})`);
  }
  return key;
}
