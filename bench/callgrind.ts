/**
 * Reading a callgrind dump of a gateway (bench/instructions.ts): instructions in all, those of the
 * major garbage collections and of V8's compilers apart (lumpy: a window of a few hundred requests
 * has one or has none), and
 * the functions that executed the most, with V8's JIT code named from the `--perf-basic-prof` map
 * the process wrote (callgrind sees only an address there).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface InstructionCounts {
  total: number;
  /** Marking, sweeping and compacting the old generation, on any thread. */
  majorGc: number;
  /** Young-generation collections. */
  scavenges: number;
  /** V8's optimising compilers on their threads: a warmed-up gateway compiles now and then (a deoptimised function again). */
  compilation: number;
  /**
   * V8's runtime defining properties of object literals with computed keys. On Node 20 a gateway's
   * process lands in one of two states at warm-up, not of its own choosing: in one, Node's own
   * `process.nextTick` makes its tick object (`{ [async_id_symbol]: …, callback, args }`) through
   * the runtime, about 52 calls and 66 thousand instructions a streamed request; in the other it
   * barely calls it. Two runs of one build differed by that much (docs/performance-history.md,
   * twenty-third pass), so a difference between two builds that shows here is this state, not
   * their code. Natively no process was seen in it: none in `bench:native` (twenty-fourth pass), none
   * of 21 sampled with `perf` on Node 20 and 24 (thirtieth pass); bench:instructions counts such a
   * target again.
   */
  literalRuntime: number;
  /** Exclusive instructions by function, most first. */
  functions: Array<[name: string, instructions: number]>;
  /**
   * The whole window's count of each event the dump has (its `summary:` line): `Ir` alone, or with
   * `--cache-sim=yes` the cache misses (`I1mr`, `D1mr`, `D1mw`, `ILmr`, `DLmr`, `DLmw`) and with
   * `--branch-sim=yes` the branches and their mispredictions (`Bc`, `Bcm`, `Bi`, `Bim`).
   */
  events: Record<string, number>;
}

/** The entry points of V8's major collections (V8 11–14): their inclusive counts add up to its work. */
const MAJOR_GC_ROOTS = [
  'v8::internal::ConcurrentMarking::JobTaskMajor::Run',
  'v8::internal::Sweeper::SweeperJob::Run',
  'v8::internal::IncrementalMarkingJob::Task::RunInternal',
  'v8::internal::Heap::MarkCompact',
  'v8::internal::Heap::StartIncrementalMarking',
  'v8::internal::IncrementalMarking::AdvanceOnAllocation',
];
const SCAVENGE_ROOTS = ['v8::internal::ScavengerCollector::CollectGarbage', 'v8::internal::ScavengerCollector::JobTask::Run'];
const LITERAL_RUNTIME = 'v8::internal::Runtime_DefineKeyedOwnPropertyInLiteral';
const COMPILER_ROOTS = ['v8::internal::OptimizingCompileDispatcher::CompileTask::RunInternal', 'v8::internal::maglev::MaglevConcurrentDispatcher::JobTask::Run'];

export function readCallgrind(file: string, perfMap: string | undefined): InstructionCounts {
  // Instructions only: a dump with the cache or branch simulator on (`BENCH_CALLGRIND_ARGS=--cache-sim=yes`) has a
  // column per event (callgrind_annotate then warns, on stderr, of each event it does not show).
  const annotate = (inclusive: boolean) =>
    execFileSync('callgrind_annotate', [file, '--show=Ir', '--threshold=100', `--inclusive=${inclusive ? 'yes' : 'no'}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const name = jitNamer(perfMap);
  const inclusive = costs(annotate(true), name);
  const exclusive = costs(annotate(false), name);
  const sum = (roots: string[]) => roots.reduce((total, root) => total + (inclusive.get(root) ?? 0), 0);
  const total = exclusive.get('PROGRAM TOTALS') ?? 0;
  exclusive.delete('PROGRAM TOTALS');
  return { total, majorGc: sum(MAJOR_GC_ROOTS), scavenges: sum(SCAVENGE_ROOTS), compilation: sum(COMPILER_ROOTS), literalRuntime: inclusive.get(LITERAL_RUNTIME) ?? 0, functions: [...exclusive].sort((a, b) => b[1] - a[1]), events: summaryEvents(file) };
}

/** The dump's `events:` names with its `summary:` counts. */
function summaryEvents(file: string): Record<string, number> {
  const text = readFileSync(file, 'latin1');
  const names = /^events: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  const counts = /^summary: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  return Object.fromEntries(names.map((name, i) => [name, counts[i] ?? 0]));
}

/** Cost by function name, from callgrind_annotate's listing (`1,234 (0.5%)  file:function [object]`). */
function costs(listing: string, jitName: (address: number) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of listing.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match) continue;
    const cost = Number(match[1]!.replaceAll(',', ''));
    let fn = match[2]!;
    const address = /^\?\?\?:0x([0-9a-f]+) \[\?\?\?\]$/.exec(fn);
    if (address) fn = `JS ${jitName(parseInt(address[1]!, 16)) ?? `0x${address[1]}`}`;
    else fn = fn.replace(/^\?\?\?:/, '').replace(/\(.*$/, '').replace(/ \[.*\]$/, '');
    out.set(fn, (out.get(fn) ?? 0) + cost);
  }
  return out;
}

/** Names JIT addresses from `/tmp/perf-<pid>.map` (start, size, name per line; code moved by the GC leaves stale entries, the latest wins). */
function jitNamer(perfMap: string | undefined): (address: number) => string | undefined {
  if (perfMap === undefined || !existsSync(perfMap)) return () => undefined;
  const entries: Array<[start: number, end: number, name: string]> = [];
  for (const line of readFileSync(perfMap, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ');
    if (start && size && name.length > 0) entries.push([parseInt(start, 16), parseInt(start, 16) + parseInt(size, 16), name.join(' ')]);
  }
  return (address) => {
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![0] <= address && address < entries[i]![1]) return entries[i]![2];
    return undefined;
  };
}
