/** The file's entries and the live overrides, put together: what is in force, and where it comes from. */
import type { EffectiveEntry, Origin, Overrides } from './live-config.js';

export function normalize(doc: Overrides | undefined): Overrides {
  return { providers: doc?.providers ?? {}, models: doc?.models ?? {} };
}

/** The file's entries with the overrides on top: replaced whole, added, or removed (`null`). */
export function merge<T>(file: Record<string, T> | undefined, overrides: Record<string, T | null>): Record<string, T> {
  const out: Record<string, T> = { ...file };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out;
}

export function entries<T>(file: Record<string, T>, overrides: Record<string, T | null>): EffectiveEntry<T>[] {
  const names = [...new Set([...Object.keys(file), ...Object.keys(overrides)])];
  return names.map((name) => {
    const overridden = name in overrides;
    const value = overridden ? (overrides[name] ?? undefined) : file[name];
    const origin: Origin = !overridden ? 'file' : overrides[name] === null ? 'removed' : 'override';
    return { name, value, origin, file: file[name] };
  });
}
