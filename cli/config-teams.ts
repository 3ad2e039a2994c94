/**
 * The team budgets the config gives in the auth plugin's options, read without building a gateway
 * (which would open every plugin's stores and need every provider's variables): from a JSON or
 * YAML `["gateway:auth", { teams }]` entry, or off the plugin `auth({ teams })` made in a
 * JavaScript or TypeScript config (`optionsOf`, core/define-plugin.ts).
 */
import type { KernelConfig } from '../core/config/kernel-config.js';
import { optionsOf } from '../core/define-plugin.js';
import { isGatewayPlugin, type GatewayPlugin } from '../core/plugin.js';
import { auth } from '../plugins/auth/index.js';
import { configTeamBudgets } from '../plugins/auth/config-teams.js';
import type { KeyBudget } from '../plugins/auth/keys.js';

const NAME = 'gateway:auth';

/** Empty without an auth plugin; undefined when its plugin was made by an older copy of auth, which did not keep its options. */
export function configTeamsIn(config: KernelConfig): ReadonlyMap<string, KeyBudget> | undefined {
  for (const entry of config.plugins ?? []) {
    if (entry === NAME) return new Map();
    // The factory checks the options as `start` would: a team budget the gateway would refuse is not listed as in force.
    if (Array.isArray(entry) && entry[0] === NAME) return teamsOf(auth(entry[1] as Parameters<typeof auth>[0]));
    if (isGatewayPlugin(entry) && entry.name === NAME) return teamsOf(entry);
  }
  return new Map();
}

function teamsOf(plugin: GatewayPlugin): ReadonlyMap<string, KeyBudget> | undefined {
  const options = optionsOf(plugin) as Parameters<typeof auth>[0] | undefined;
  return options === undefined ? undefined : configTeamBudgets(options?.teams);
}
