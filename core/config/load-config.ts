/**
 * Finds and loads the config file with cosmiconfig: `gateway.config.ts` or `.mts` (types stripped
 * as Node strips them, see import-typescript.ts), `.js`, `.mjs`, `.cjs`, `.json`, `.yaml` or `.yml`.
 */
import { cosmiconfig } from 'cosmiconfig';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { importFresh, importTypeScript } from './import-typescript.js';
import type { KernelConfig } from './kernel-config.js';

export const CONFIG_FILES = [
  'gateway.config.ts',
  'gateway.config.mts',
  'gateway.config.js',
  'gateway.config.mjs',
  'gateway.config.cjs',
  'gateway.config.json',
  'gateway.config.yaml',
  'gateway.config.yml',
];

export interface LoadedConfig {
  config: KernelConfig;
  /** Absolute path of the file, or undefined when none was found and defaults are used. */
  filepath: string | undefined;
  /** Folder plugin package names are resolved from. */
  baseDir: string;
}

/** Loads `file` if given, else the first of CONFIG_FILES in `cwd`; no file at all means defaults. */
export async function loadConfigFile(file?: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const explorer = cosmiconfig('gateway', {
    searchPlaces: CONFIG_FILES,
    searchStrategy: 'none',
    cache: false,
    // ES modules are imported afresh on every load: a reloaded config must see the edited file.
    loaders: { '.ts': importTypeScript, '.mts': importTypeScript, '.js': importFresh, '.mjs': importFresh },
  });
  let result;
  try {
    result = file ? await explorer.load(resolve(cwd, file)) : await explorer.search(cwd);
  } catch (error) {
    // A plugin factory's ConfigError may come from another copy of this module (dist vs source).
    if ((error as Error).name === 'ConfigError') throw error;
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ConfigError(`config file not found: ${resolve(cwd, file ?? '')}`);
    throw new ConfigError(`cannot load config ${file ? resolve(cwd, file) : `from ${cwd}`}`, [reasonOf(err.message)]);
  }
  if (!result || result.isEmpty) {
    if (file) throw new ConfigError(`config file ${resolve(cwd, file)} is empty`);
    return { config: {}, filepath: undefined, baseDir: cwd };
  }
  const config = unwrapDefault(result.config);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(`config file ${result.filepath} must export an object (use defineConfig({...}))`);
  }
  return { config: config as KernelConfig, filepath: result.filepath, baseDir: dirname(result.filepath) };
}

function unwrapDefault(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'default' in value && Object.keys(value).length === 1) {
    return (value as { default: unknown }).default;
  }
  return value;
}

/**
 * What a loader's error says, on one line. A JSON syntax error comes as a header ending in a colon
 * (`JSON Error in /path/c.json:`), a code frame of the file's lines (in color where the terminal
 * has it), the parser's reason with its position and a quote of the text (`while parsing '{ …'`),
 * and the frame again: only the reason is kept, since the frame and the quote may show a secret.
 */
function reasonOf(message: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = message.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  const head = lines[0] ?? '';
  if (!head.trimEnd().endsWith(':')) return head;
  const reason = lines.slice(1).find((line) => line.trim() !== '' && !/^\s*(>|\d+\s*\||\|)/.test(line));
  return reason ? `${head.trim()} ${reason.replace(/\s*while parsing\b.*$/, '').trim()}` : head.trim();
}
