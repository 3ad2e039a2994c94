/**
 * `BENCH_TARGETS="no plugins + 8 pass-through"`: the no-plugin config with N plugins that do nothing
 * but take part (bench/pass-through-plugin.mjs), so that one run measures what the plugin contract
 * costs a request (the composed middleware onion and upstream interceptors, their promises), apart
 * from what any plugin does. The config is written into the run's folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PATTERN = /^no plugins \+ (\d+) pass-through$/;
const PLUGIN = fileURLToPath(new URL('./pass-through-plugin.mjs', import.meta.url));

/** The config file for such a target, or undefined for any other target. */
export function passThroughConfig(target: string, noPluginsConfig: string, folder: string): string | undefined {
  const count = PATTERN.exec(target)?.[1];
  if (count === undefined) return undefined;
  const config = JSON.parse(readFileSync(noPluginsConfig, 'utf8')) as Record<string, unknown>;
  const plugins = Array.from({ length: Number(count) }, (_, n) => [PLUGIN, { n }]);
  const file = join(folder, `pass-through-${count}.json`);
  writeFileSync(file, JSON.stringify({ ...config, plugins }));
  return file;
}
