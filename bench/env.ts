/** The benchmarks' settings from the environment: whole numbers and lists, checked, with a default when unset. */

export function nonNegativeInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number (got "${raw}")`);
  return value;
}

export function positiveInt(name: string, fallback: number): number {
  const value = nonNegativeInt(name, fallback);
  if (value < 1) throw new Error(`${name} must be a positive integer (got "${process.env[name]}")`);
  return value;
}

/** A comma-separated list, each item trimmed: BENCH_TARGETS and the like. */
export function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((item) => item.trim());
}

export type BenchMode = 'json' | 'stream';

/** BENCH_MODES: a list of json and stream, checked, so that a misspelt mode is not measured as JSON. */
export function modes(fallback: string): BenchMode[] {
  const given = list('BENCH_MODES', fallback);
  if (given.some((mode) => mode !== 'json' && mode !== 'stream')) throw new Error(`BENCH_MODES is a list of json and stream (got "${process.env.BENCH_MODES}")`);
  return given as BenchMode[];
}
