/**
 * The gateway's young generation is the same size on every Node major: V8's semi-spaces are capped
 * at 16 MB, Node 20 and 22's own default. Node 24's V8 (13) doubled the default to 32 MB (Node 26:
 * about 27), and under load the gateway fills what it is given: its peak RSS under the bench's load
 * was 320 and 344 MB (default config, full pipeline) against 174 and 209 MB with the cap, for 0–16 %
 * more CPU a request (docs/performance-history.md, "The young generation on Node 24 and 26").
 *
 * V8 sizes its heap when the process starts, so `start` executes itself again, once, with the flag
 * (`process.execve`: the same process id, so a supervisor, npm or a container sees no new process),
 * before the gateway's modules are loaded (cli/main.ts), so that they load once.
 * A size the operator chose, as a node flag or in NODE_OPTIONS, is left alone: that is how to have
 * Node 24's default back (`NODE_OPTIONS=--max-semi-space-size=32`).
 *
 * A process being profiled by a sampling profiler that interrupts it with SIGPROF (`--cpu-prof`,
 * `--prof`) is left alone too: the image `execve` replaces it with has no handler for that signal
 * until its own profiler starts, so one that arrives in between kills it ("Profiling timer
 * expired": `node --cpu-prof … start` on Node 26 died so two times in five). To profile what
 * `start` runs, pass the cap with the profiler (`--max-semi-space-size=16`).
 */

export const SEMI_SPACE_CAP_MB = 16;

/** V8 majors whose default semi-space is larger than the cap (Node 24 ships V8 13.6). */
const FIRST_LARGER_V8_MAJOR = 13;

const SEMI_SPACE_FLAG = /--max[-_]semi[-_]space[-_]size\b/;

/** The profilers that sample by SIGPROF: see the top. */
const SIGNAL_PROFILER_FLAG = /(?:^|\s)--(?:cpu[-_]prof|prof)(?=$|\s|=)/;

export interface ProcessFacts {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  /** `process.argv`: node's path, then the script and its arguments. */
  readonly argv: readonly string[];
  readonly nodeOptions: string | undefined;
  /** `process.versions.v8`. */
  readonly v8Version: string;
  /** Whether this Node can replace its own process image (`process.execve`: Node ≥ 22.15, not on Windows). */
  readonly canExecve: boolean;
}

/** The arguments to execute again with (argv[0] first), or undefined when this process keeps running as it is. */
export function youngGenerationRestart(facts: ProcessFacts): string[] | undefined {
  if (!facts.canExecve) return undefined;
  if (Number.parseInt(facts.v8Version, 10) < FIRST_LARGER_V8_MAJOR) return undefined;
  const given = (flag: RegExp) => facts.execArgv.some((arg) => flag.test(arg)) || flag.test(facts.nodeOptions ?? '');
  if (given(SEMI_SPACE_FLAG) || given(SIGNAL_PROFILER_FLAG)) return undefined;
  return [facts.execPath, `--max-semi-space-size=${SEMI_SPACE_CAP_MB}`, ...facts.execArgv, ...facts.argv.slice(1)];
}

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * Executes this process again with the cap when it needs one (see the top); returns otherwise,
 * also when the system refused to (the gateway then runs with V8's default).
 */
export function capYoungGeneration(): void {
  const execve = (process as { execve?: Execve }).execve;
  const args = youngGenerationRestart({
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    nodeOptions: process.env.NODE_OPTIONS,
    v8Version: process.versions.v8,
    canExecve: typeof execve === 'function' && process.platform !== 'win32',
  });
  if (!args) return;
  try {
    execve!.call(process, process.execPath, args, process.env);
  } catch {
    // Not fatal: the same gateway, with a larger young generation.
  }
}
