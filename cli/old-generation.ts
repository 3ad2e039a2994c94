/**
 * The gateway's old generation grows by half again over what V8's last full collection found
 * alive, not by V8's own factor. V8 picks the factor from how fast it collects against how fast
 * the program allocates, up to 4 on a machine with gigabytes of memory: a gateway taking on
 * thousands of streams at once grows its heap fast, so V8 lets it run far past what the streams
 * hold. With 5,000 slow streams held through the full pipeline, each stream cost 56–62 KB of RSS
 * with V8's factor and 44–51 KB with this one on Node 20, 22 and 24; the bare Koa + undici proxy
 * took 37 KB on Node 20 and 22 (docs/performance-history.md, "Held streams and V8's heap growth").
 * 20 % saved no more than 50 % did (a smaller factor only means more full collections: at 20 %
 * one more in 4,000 JSON requests); 100 % saved a quarter as much.
 *
 * V8 reads the flag at every full collection, so it is set while the process runs
 * (`v8.setFlagsFromString`) before the gateway loads, on every Node major and in every worker,
 * with no restart (V8's young generation, sized once at start, needs one: young-generation.ts).
 * A value the operator gave node is left alone: `node --heap-growing-percent=0 dist/cli/main.js
 * start` gives V8 its own factor back (Node refuses this V8 flag in NODE_OPTIONS).
 */
import { setFlagsFromString } from 'node:v8';

export const OLD_GENERATION_GROWTH_PERCENT = 50;

const GROWTH_FLAG = /--heap[-_]growing[-_]percent\b/;

/** The flag to set, or undefined when the operator chose a value. */
export function oldGenerationGrowthFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((arg) => GROWTH_FLAG.test(arg))) return undefined;
  return `--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`;
}

/** Sets the flag (see the top) unless the operator chose a value. */
export function limitOldGenerationGrowth(): void {
  const flag = oldGenerationGrowthFlag(process.execArgv);
  if (flag) setFlagsFromString(flag);
}
