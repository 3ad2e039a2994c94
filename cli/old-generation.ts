/**
 * What goes into the gateway's old generation, and how far it grows: two V8 flags `start` sets.
 *
 * It grows by half again over what V8's last full collection found alive, not by V8's own factor.
 * V8 picks the factor from how fast it collects against how fast the program allocates, up to 4
 * on a machine with gigabytes of memory: a gateway taking on thousands of streams at once grows
 * its heap fast, so V8 lets it run far past what the streams hold. With 5,000 slow streams held
 * through the full pipeline, each stream cost 56–62 KB of RSS with V8's factor and 44–51 KB with
 * this one on Node 20, 22 and 24; the bare Koa + undici proxy took 37 KB on Node 20 and 22
 * (docs/performance-history.md, "Held streams and V8's heap growth"). 20 % saved no more than 50 %
 * did (a smaller factor only means more full collections: at 20 % one more in 4,000 JSON
 * requests); 100 % saved a quarter as much.
 *
 * And nothing is allocated there at birth (`--no-allocation-site-pretenuring`). V8 watches, per
 * place in the code that makes objects, how many of them outlive a young collection, and past a
 * ratio has that place allocate straight into the old generation. A gateway's objects live as long
 * as a request, so whether a place's objects outlived a collection depends on when one came. On
 * Node 20, 17 of 63 new gateway processes (full pipeline, 64 clients) settled, early and for good,
 * into filling the old generation with short-lived objects: a full collection every 150 ms rather
 * than every 2–3 s, up to 1.9× the CPU a request. With pretenuring off none of 19 did, and they
 * spent no more than the others (docs/performance-history.md, "Objects born old"). What lives long
 * (the usage log's queue) is copied out of the young generation, as everything was before V8
 * decided.
 *
 * V8 reads both at every collection, so they are set while the process runs
 * (`v8.setFlagsFromString`) before the gateway loads, on every Node major and in every worker,
 * with no restart (V8's young generation, sized once at start, needs one: young-generation.ts).
 * A value the operator gave node is left alone: `node --heap-growing-percent=0 dist/cli/main.js
 * start` gives V8 its own factor back, `--allocation-site-pretenuring` its pretenuring (Node
 * refuses these V8 flags in NODE_OPTIONS).
 */
import { setFlagsFromString } from 'node:v8';

export const OLD_GENERATION_GROWTH_PERCENT = 50;

interface OldGenerationFlag {
  readonly flag: string;
  /** Matches the flag in node's arguments, with a value or negated, in either spelling. */
  readonly given: RegExp;
}

const FLAGS: readonly OldGenerationFlag[] = [
  { flag: `--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`, given: /--heap[-_]growing[-_]percent\b/ },
  { flag: '--no-allocation-site-pretenuring', given: /--(no[-_])?allocation[-_]site[-_]pretenuring\b/ },
];

/** The flags to set: each one the operator did not give node a value for. */
export function oldGenerationFlags(execArgv: readonly string[]): string[] {
  return FLAGS.filter(({ given }) => !execArgv.some((arg) => given.test(arg))).map(({ flag }) => flag);
}

/** Sets the flags (see the top) the operator left to us. */
export function tuneOldGeneration(): void {
  for (const flag of oldGenerationFlags(process.execArgv)) setFlagsFromString(flag);
}
