/**
 * Provider instances built from the config with the provider types plugins contribute, each
 * instance's options checked against its type's schema first. A registry is immutable once built;
 * a live config change builds the next one with `next()`, which keeps every instance whose options
 * did not change (its connection pool, its model listing) and hands back the ones it dropped.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../config/config-error.js';
import type { ProviderConfig } from '../config/kernel-config.js';
import { SECRET_NAME } from '../config/resolve-providers.js';
import type { Logger } from '../logger.js';
import { formatIssues, validate } from '../validation.js';
import type { Provider, ProviderType } from './provider.js';
import type { UnsupportedParamsPolicy } from './unsupported.js';

export type ProviderEntries = ReadonlyArray<{ readonly id: string; readonly options: ProviderConfig }>;

interface Built {
  readonly provider: Provider;
  readonly policy: UnsupportedParamsPolicy;
  /** The options it was made from, serialized (keys sorted): what tells an unchanged entry from a changed one. */
  readonly fingerprint: string;
  /** A short hash of `fingerprint`: the same on every replica with the same config. */
  readonly generation: string;
}

/** Options every provider type shares, checked by the kernel (config/schema.ts), not by the type. */
const COMMON = new Set(['type', 'enabled', 'models', 'unsupportedParams']);

export class ProviderRegistry {
  private readonly byId = new Map<string, Built>();

  private constructor(private readonly types: ReadonlyMap<string, ProviderType<never>>) {}

  static collectTypes(contributions: ReadonlyArray<{ plugin: string; types: readonly ProviderType<never>[] }>): Map<string, ProviderType<never>> {
    const types = new Map<string, ProviderType<never>>();
    const owner = new Map<string, string>();
    for (const { plugin, types: list } of contributions) {
      for (const type of list) {
        if (types.has(type.type)) {
          throw new ConfigError(`provider type "${type.type}" is contributed by both ${owner.get(type.type)} and ${plugin}`);
        }
        types.set(type.type, type);
        owner.set(type.type, plugin);
      }
    }
    return types;
  }

  /**
   * Validates every entry, reporting all problems at once, then creates the instances.
   * `extraOptions`: options plugins declared for every provider entry (`limits`), with their
   * schemas: checked here, kept in the resolved config for those plugins, left out of what the
   * type checks.
   */
  static create(types: ReadonlyMap<string, ProviderType<never>>, entries: ProviderEntries, logger: Logger, extraOptions: ReadonlyMap<string, object> = new Map()): ProviderRegistry {
    return new ProviderRegistry(types).build(entries, logger, extraOptions, undefined).registry;
  }

  /** The registry for `entries`, keeping this one's unchanged instances; `dropped` are this one's others. */
  next(entries: ProviderEntries, logger: Logger, extraOptions: ReadonlyMap<string, object> = new Map()): { registry: ProviderRegistry; dropped: Provider[] } {
    return new ProviderRegistry(this.types).build(entries, logger, extraOptions, this);
  }

  /**
   * One entry checked against its type's own options: its type and own options, or undefined with
   * the problems added to `problems`. The live configuration checks stored overrides with it too.
   */
  static problemsOf(
    types: ReadonlyMap<string, ProviderType<never>>,
    id: string,
    options: ProviderConfig,
    extraOptions: ReadonlyMap<string, object>,
    problems: string[],
  ): { type: ProviderType<never>; options: Record<string, unknown> } | undefined {
    const type = types.get(options.type);
    if (!type) {
      problems.push(`config/providers/${id}/type must be one of: ${[...types.keys()].map((t) => JSON.stringify(t)).join(', ')} (found ${JSON.stringify(options.type)})`);
      return undefined;
    }
    const own = Object.fromEntries(Object.entries(options).filter(([key]) => !COMMON.has(key) && !extraOptions.has(key)));
    const secretNames = new Set(type.secretOptions ?? []);
    const issues = validate(type.schema, own, (path) => {
      const name = path.split('/')[1] ?? '';
      return secretNames.has(name) || SECRET_NAME.test(name);
    });
    for (const [name, schema] of extraOptions) {
      if (options[name] !== undefined) issues.push(...validate(schema, options[name]).map((issue) => ({ ...issue, path: `/${name}${issue.path === '/' ? '' : issue.path}` })));
    }
    if (issues.length === 0) return { type, options: own };
    problems.push(...formatIssues(`config/providers/${id}`, issues).split('\n'));
    return undefined;
  }

  /** `problemsOf` as a function of one entry: its problems, none when it is fine. */
  static checker(types: ReadonlyMap<string, ProviderType<never>>, extraOptions: ReadonlyMap<string, object>): (id: string, options: unknown) => string[] {
    return (id, options) => {
      // A disabled provider is never built, so never held to its type's rules (as in `build`).
      if ((options as { enabled?: unknown }).enabled === false) return [];
      const problems: string[] = [];
      ProviderRegistry.problemsOf(types, id, options as ProviderConfig, extraOptions, problems);
      return problems;
    };
  }

  private build(entries: ProviderEntries, logger: Logger, extraOptions: ReadonlyMap<string, object>, previous: ProviderRegistry | undefined): { registry: ProviderRegistry; dropped: Provider[] } {
    const problems: string[] = [];
    const valid: Array<{ id: string; options: ProviderConfig; type: ProviderType<never>; fingerprint: string }> = [];
    for (const { id, options } of entries) {
      const own = ProviderRegistry.problemsOf(this.types, id, options, extraOptions, problems);
      // Plugins' own options on the entry (limits) change nothing about the instance itself.
      if (own) valid.push({ id, options: { ...options, ...own.options }, type: own.type, fingerprint: sortedJson(Object.fromEntries(Object.entries(options).filter(([key]) => !extraOptions.has(key)))) });
    }
    if (problems.length > 0) throw new ConfigError('invalid provider config', problems);

    const kept = new Set<Provider>();
    for (const { id, options, type, fingerprint } of valid) {
      const same = previous?.byId.get(id);
      const reuse = same && same.fingerprint === fingerprint ? same : undefined;
      const provider = reuse?.provider ?? type.create(options as never, { id, logger: logger.child(`provider:${id}`) });
      if (reuse) kept.add(provider);
      this.byId.set(id, { provider, policy: options.unsupportedParams ?? 'error', fingerprint, generation: reuse?.generation ?? createHash('sha256').update(fingerprint).digest('base64url').slice(0, 10) });
    }
    const dropped = previous ? [...previous.byId.values()].map((b) => b.provider).filter((p) => !kept.has(p)) : [];
    return { registry: this, dropped };
  }

  get(id: string): Provider | undefined {
    return this.byId.get(id)?.provider;
  }

  /** Names the options provider `id` is served with now (`PluginHost.providerGeneration`). */
  generation(id: string): string | undefined {
    return this.byId.get(id)?.generation;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  all(): Provider[] {
    return [...this.byId.values()].map((b) => b.provider);
  }

  /** What provider `id` does with a part of a request it cannot express (`unsupportedParams`). */
  policy(id: string): UnsupportedParamsPolicy {
    return this.byId.get(id)?.policy ?? 'error';
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.all().map(async (provider) => provider.close?.()));
  }
}

/** JSON with every object's keys sorted: the same options written in another order are the same entry. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}
