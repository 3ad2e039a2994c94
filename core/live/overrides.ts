/** The file's entries and the live overrides, put together: what is in force, and where it comes from. */
import type { KernelConfig } from '../config/kernel-config.js';
import type { EffectiveEntry, LiveKind, Origin, Overrides } from './live-config.js';
import { ownedBy, secretsNamedIn } from './secrets.js';

type Base = Pick<KernelConfig, 'providers' | 'models'>;

export function normalize(doc: Overrides | undefined): Overrides {
  return { providers: doc?.providers ?? {}, models: doc?.models ?? {} };
}

export const inFile = (base: Base, kind: LiveKind, name: string): boolean => Object.hasOwn((kind === 'provider' ? base.providers : base.models) ?? {}, name);

/**
 * `doc` without removals (`null`) of names the file does not have: such a marker hides nothing
 * (an entry added live, then removed), yet was kept, rewritten with every change and listed as
 * `removed` for ever (an earlier build stored one per removal). A file entry of that name added
 * later is in force: the operator removed only what was added live. Applied to what is shown; what
 * is stored and served stays as written, since another replica's file may have that entry.
 */
export function pruned(doc: Overrides, base: Base): Overrides {
  const keep = (kind: LiveKind, section: Record<string, unknown>) => Object.fromEntries(Object.entries(section).filter(([name, value]) => value !== null || inFile(base, kind, name)));
  return { providers: keep('provider', doc.providers) as Overrides['providers'], models: keep('model', doc.models) as Overrides['models'] };
}

/**
 * The secrets a provider's entry owned before a change (`ownedBy`) that no entry names after it,
 * neither a live one nor the file's (in force or hidden: a revert brings it back).
 */
export function orphanedSecrets({ kind, name, before }: { kind: LiveKind; name: string; before: unknown }, base: Base, next: Overrides): string[] {
  if (kind !== 'provider') return [];
  const named = secretsNamedIn(base.providers);
  secretsNamedIn(next.providers, named);
  return [...secretsNamedIn(before)].filter((secret) => ownedBy(name, secret) && !named.has(secret));
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
