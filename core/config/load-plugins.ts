/**
 * The config's `plugins` list made into plugins: instances kept as they are, package names imported
 * from the config file's folder and their factories called with the options given, first-party
 * names (`gateway:retry`) looked up. Problems are collected, each naming its entry; duplicates and
 * missing `requires` are problems too. The result is sorted into tiers (`order: pre | post`).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isGatewayPlugin, type GatewayPlugin } from '../plugin.js';
import type { ConfigError } from './config-error.js';
import type { PluginEntry } from './kernel-config.js';
import { thrownMessage, thrownNamed } from '../thrown.js';

/** First-party plugin factories by name (`gateway:retry`), so JSON and YAML configs can use them. */
export type NamedPlugins = Readonly<Record<string, (options: never) => GatewayPlugin>>;

/** `builtins`: the plugins every gateway loads before these, which `requires` may name and which none may repeat. */
export async function loadPlugins(entries: readonly PluginEntry[], baseDir: string, named: NamedPlugins, problems: string[], builtins: readonly GatewayPlugin[] = []): Promise<GatewayPlugin[]> {
  const load = async (name: string, options: unknown): Promise<GatewayPlugin> => {
    const factory = named[name];
    // Options come from JSON/YAML here: the factory's own schema checks them.
    if (factory) return (factory as (options?: unknown) => GatewayPlugin)(options);
    if (name.startsWith('gateway:')) throw new Error(`no first-party plugin is called that (known: ${Object.keys(named).join(', ')})`);
    return importPlugin(name, options, baseDir);
  };
  const plugins: GatewayPlugin[] = [];
  for (const [index, entry] of entries.entries()) {
    if (!entry) continue;
    const where = `config/plugins/${index}`;
    try {
      if (typeof entry === 'string') plugins.push(await load(entry, undefined));
      else if (Array.isArray(entry) && typeof entry[0] === 'string') plugins.push(await load(entry[0], entry[1]));
      else if (isGatewayPlugin(entry)) plugins.push(entry);
      else problems.push(`${where} must be a plugin (made by its factory), a package name or [name, options] (found ${describe(entry)})`);
    } catch (error) {
      // A plugin's own option errors already name the plugin; other failures get its package name.
      if (thrownNamed(error, 'ConfigError') && (error as ConfigError).problems.length > 0) {
        problems.push(...(error as ConfigError).problems.map((problem) => `${where} ${problem}`));
      } else {
        const name = typeof entry === 'string' ? entry : Array.isArray(entry) ? String(entry[0]) : 'plugin';
        problems.push(`${where} ${name}: ${thrownMessage(error)}`);
      }
    }
  }
  const loadedAnyway = new Set(builtins.map((plugin) => plugin.name));
  const seen = new Set(loadedAnyway);
  for (const plugin of plugins) {
    if (loadedAnyway.has(plugin.name)) problems.push(`config/plugins has plugin "${plugin.name}", which every gateway loads already`);
    else if (seen.has(plugin.name)) problems.push(`config/plugins has plugin "${plugin.name}" twice`);
    seen.add(plugin.name);
  }
  for (const plugin of plugins) {
    for (const required of plugin.requires ?? []) {
      if (!seen.has(required)) problems.push(`config/plugins: plugin "${plugin.name}" requires plugin "${required}", which is not configured`);
    }
  }
  return plugins;
}

/** Imports `name` as installed next to the config file; its default export is a factory or a plugin. */
async function importPlugin(name: string, options: unknown, baseDir: string): Promise<GatewayPlugin> {
  let resolved: string;
  try {
    resolved = createRequire(join(baseDir, 'gateway.config.js')).resolve(name);
  } catch {
    throw new Error(`cannot find package "${name}" from ${baseDir}: run \`npm install ${name}\``);
  }
  const module = (await import(pathToFileURL(resolved).href)) as { default?: unknown };
  const exported = module.default;
  if (typeof exported === 'function') {
    const plugin: unknown = options === undefined ? exported() : exported(options);
    if (isGatewayPlugin(plugin)) return plugin;
    throw new Error(`its default export did not return a plugin (found ${describe(plugin)})`);
  }
  if (isGatewayPlugin(exported)) {
    if (options !== undefined) throw new Error('it exports a plugin object, which takes no options');
    return exported;
  }
  throw new Error(`its default export must be a plugin factory (found ${describe(exported)})`);
}

export function sortByTier(plugins: GatewayPlugin[]): GatewayPlugin[] {
  const rank = (p: GatewayPlugin) => (p.order === 'pre' ? 0 : p.order === 'post' ? 2 : 1);
  return [...plugins].sort((a, b) => rank(a) - rank(b));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without a name' : JSON.stringify(value) ?? typeof value;
}
