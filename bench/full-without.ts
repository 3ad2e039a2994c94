/**
 * `BENCH_TARGETS="full without gateway:auth"`: the full pipeline less one plugin, so that one run
 * measures what each plugin costs (docs/performance-history.md, "What each plugin costs now"). The config
 * is bench/configs/full.json with that plugin's entry left out, written into the run's folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'full without ';

type PluginEntry = string | [string, unknown];

/** The config file for such a target (its name keeps "full": the bench creates its key), or undefined for any other target. */
export function fullWithoutConfig(target: string, fullConfig: string, folder: string): string | undefined {
  if (!target.startsWith(PREFIX)) return undefined;
  const left = target.slice(PREFIX.length).trim();
  const config = JSON.parse(readFileSync(fullConfig, 'utf8')) as { plugins: PluginEntry[] };
  const name = (entry: PluginEntry) => (typeof entry === 'string' ? entry : entry[0]);
  const plugins = config.plugins.filter((entry) => name(entry) !== left);
  if (plugins.length === config.plugins.length) throw new Error(`"${target}": the full pipeline has no ${left} (it has ${config.plugins.map(name).join(', ')})`);
  const file = join(folder, `full-without-${left.replace(/\W+/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...config, plugins }));
  return file;
}
