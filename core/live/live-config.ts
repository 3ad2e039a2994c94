/**
 * Live configuration: providers and virtual models changed while the gateway runs (from the
 * dashboard, the admin API, or an edited config file), applied to the next request, kept in the
 * store so they survive a restart, followed by every replica sharing that store within a few
 * seconds, and recorded in an audit trail (who, what, when, before → after).
 *
 * The config file is the base. A live change overrides one provider or one virtual model on top of
 * it, or removes one: visible as an override, revertible one at a time, never silently replacing
 * the file's entry nor silently replaced by it.
 */
import { ConfigError } from '../config/config-error.js';
import type { KernelConfig, ProviderConfig, VirtualModelConfig } from '../config/kernel-config.js';
import { resolveProviders, type ResolvedProviders } from '../config/resolve-providers.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { Store, TypedKv } from '../store/store.js';
import { appendAudit, readAudit, type AuditEntry } from './audit.js';
import type { ProviderRuntime } from './provider-runtime.js';
import type { SecretStore } from './secrets.js';
import { entries, inFile, merge, normalize, orphanedSecrets, pruned } from './overrides.js';
import { entryProblems, servableOverrides } from './entry-rules.js';

export type LiveKind = 'provider' | 'model';

/** An override replaces the file's entry whole; `null` removes it. */
export interface Overrides {
  providers: Record<string, ProviderConfig | null>;
  models: Record<string, VirtualModelConfig | null>;
}

export type Origin = 'file' | 'override' | 'removed';

export interface EffectiveEntry<T> {
  readonly name: string;
  /** The entry now in force (`undefined` when an override removed the file's). */
  readonly value: T | undefined;
  readonly origin: Origin;
  /** The file's own entry, when there is one. */
  readonly file: T | undefined;
}

/** Checks a candidate set of providers and models; returns problems (empty: fine). */
export type ConfigCheck = (next: ResolvedProviders) => string[];

export interface LiveConfig {
  overrides(): Overrides;
  /** Every provider and virtual model, from the file and from overrides, each saying which. */
  effective(): { providers: EffectiveEntry<ProviderConfig>[]; models: EffectiveEntry<VirtualModelConfig>[] };
  /** Overrides (or with `null` removes: drops the override of one the file lacks) one entry. Validated first: a bad change throws a ConfigError and changes nothing. */
  set(kind: LiveKind, name: string, value: ProviderConfig | VirtualModelConfig | null, actor: string): Promise<void>;
  /** Drops the override of one entry: the file's entry (if any) is back. */
  revert(kind: LiveKind, name: string, actor: string): Promise<void>;
  audit(limit?: number): Promise<AuditEntry[]>;
  readonly secrets: SecretStore;
}

interface Records {
  overrides: Overrides;
}

const VERSION = 'live-config:version';
const OVERRIDES_LEASE = 'live-config:overrides';

export class LiveConfigService implements LiveConfig {
  private doc: Overrides = { providers: {}, models: {} };
  private version = 0;
  /** The store's `dataLosses` when the version was last compared. */
  private losses = 0;
  private runtime: ProviderRuntime | undefined;
  private readonly kv: TypedKv<Records>;
  private readonly checks: ConfigCheck[] = [];
  private poller: NodeJS.Timeout | undefined;
  /** Changes apply one at a time, whatever their source (an admin, a replica's poll, a file reload). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private base: Pick<KernelConfig, 'providers' | 'models'>,
    /** `providerProblems`: a provider entry's problems by its type's rules, for stored overrides (entry-rules.ts). */
    private readonly deps: { store: Store; secrets: SecretStore; events: EventBus; logger: Logger; env: NodeJS.ProcessEnv; masked: Set<string>; providerProblems?: (id: string, options: unknown) => string[] },
  ) {
    this.kv = deps.store.kv<Records>('live-config');
  }

  /** Reads the stored overrides and resolves the providers and models to start with. */
  async load(): Promise<ResolvedProviders> {
    this.version = await this.deps.store.counters.get(VERSION);
    this.doc = normalize(await this.kv.get('overrides'));
    return this.resolve(servableOverrides(this.doc, this.deps.logger, undefined, this.deps.providerProblems));
  }

  /** Follows changes other replicas make (and this one's runtime from now on). */
  follow(runtime: ProviderRuntime, intervalMs = 2000): void {
    this.runtime = runtime;
    this.poller = setInterval(() => void this.poll(), intervalMs);
    this.poller.unref();
  }

  stop(): void {
    clearInterval(this.poller);
  }

  /** A plugin's check, run now against what is in force and before every change is applied. */
  addCheck(check: ConfigCheck, current: ResolvedProviders): void {
    const problems = check(current);
    if (problems.length > 0) throw new ConfigError('invalid config', problems);
    this.checks.push(check);
  }

  overrides(): Overrides {
    return structuredClone(pruned(this.doc, this.base));
  }

  effective() {
    const doc = pruned(this.doc, this.base);
    return { providers: entries(this.base.providers ?? {}, doc.providers), models: entries(this.base.models ?? {}, doc.models) };
  }

  set(kind: LiveKind, name: string, value: ProviderConfig | VirtualModelConfig | null, actor: string): Promise<void> {
    return this.change(async () => {
      const stored = await this.stored();
      const next = structuredClone(stored);
      const section = kind === 'provider' ? next.providers : next.models;
      const before = this.current(kind, name, stored);
      if (value === null && !inFile(this.base, kind, name)) delete section[name];
      else section[name] = value as never;
      await this.commit(next, { actor, action: value === null ? 'remove' : 'set', kind, name, before, after: value });
    });
  }

  revert(kind: LiveKind, name: string, actor: string): Promise<void> {
    return this.change(async () => {
      const stored = await this.stored();
      const next = structuredClone(stored);
      const section = kind === 'provider' ? next.providers : next.models;
      if (!(name in section)) return;
      const before = this.current(kind, name, stored);
      delete section[name];
      const after = (kind === 'provider' ? this.base.providers?.[name] : this.base.models?.[name]) ?? null;
      await this.commit(next, { actor, action: 'revert', kind, name, before, after });
    });
  }

  audit(limit = 100): Promise<AuditEntry[]> {
    return readAudit(this.deps.store, limit);
  }

  get secrets(): SecretStore {
    return this.deps.secrets;
  }

  /** A new base (the config file was edited): applied under the same overrides. */
  setBase(base: Pick<KernelConfig, 'providers' | 'models'>): Promise<void> {
    return this.serially(async () => {
      const previous = this.base;
      this.base = base;
      try {
        await this.apply(this.doc);
      } catch (error) {
        this.base = previous;
        throw error;
      }
    });
  }

  /** Applied (checked, its providers made), then stored; a change the store did not take is taken back here too, not served by this replica alone. */
  private async commit(next: Overrides, entry: Omit<AuditEntry, 'at' | 'seq'>): Promise<void> {
    await this.apply(next, entry);
    try {
      await this.kv.set('overrides', next);
    } catch (error) {
      await this.apply(this.doc).catch(() => undefined);
      throw error;
    }
    this.doc = next;
    // Only once the change is saved: one the store refused still has the keys it is called with.
    await Promise.all(orphanedSecrets(entry, this.base, next).map((secret) => this.deps.secrets.delete(secret).catch((error: Error) => this.deps.logger.warn('could not delete a secret no entry names any more', { secret, error: error.message }))));
    this.version = await this.deps.store.counters.add(VERSION, 1);
    await appendAudit(this.deps.store, entry);
    this.deps.logger.info(`live config: ${entry.action} ${entry.kind} ${entry.name}`, { actor: entry.actor });
  }

  /**
   * Resolves, checks and swaps in the providers and models of base + overrides; throws, changing
   * nothing, when invalid. `changing`: the entry a change on this replica sets now, held to the
   * rules; other stored entries that break them are left out (`servableOverrides`).
   */
  private async apply(doc: Overrides, changing?: { kind: LiveKind; name: string }): Promise<void> {
    const resolved = await this.resolve(servableOverrides(doc, this.deps.logger, changing, this.deps.providerProblems));
    const problems = this.checks.flatMap((check) => check(resolved));
    if (problems.length > 0) throw new ConfigError('invalid config', problems);
    const replaced = this.runtime?.replace(resolved) ?? new Set<string>();
    this.deps.events.emit('config:change', resolved, replaced);
  }

  private async resolve(doc: Overrides): Promise<ResolvedProviders> {
    const problems: string[] = [];
    const merged = { providers: merge(this.base.providers, doc.providers), models: merge(this.base.models, doc.models) };
    problems.push(...entryProblems(merged));
    if (problems.length > 0) throw new ConfigError('invalid config', problems);
    const { providers, models } = resolveProviders(merged, this.deps.env, problems, this.deps.masked);
    const filled = await Promise.all(providers.map(async ({ id, options }) => ({ id, options: await this.deps.secrets.fill(options, `/providers/${id}`, problems) })));
    if (problems.length > 0) throw new ConfigError('invalid config', problems);
    return { providers: filled, models };
  }

  private async poll(): Promise<void> {
    try {
      const version = await this.deps.store.counters.get(VERSION);
      // A store that lost its data may count the versions again up to the one this replica has.
      const losses = this.deps.store.dataLosses ?? 0;
      if (version === this.version && losses === this.losses) return;
      await this.serially(async () => {
        const doc = normalize(await this.kv.get('overrides'));
        await this.apply(doc);
        this.doc = doc;
        this.version = version;
        this.losses = losses;
      });
    } catch (error) {
      this.deps.logger.warn('could not follow a live config change', { error: (error as Error).message });
    }
  }

  /**
   * The overrides as the store holds them, which a change starts from: this replica's copy is up to a poll behind,
   * and a change built on it would write back the overrides without what another replica changed meanwhile (one click
   * per replica behind a load balancer). Not `pruned`: a replica whose file lacks an entry would drop its marker.
   */
  private async stored(): Promise<Overrides> {
    return normalize(await this.kv.get('overrides'));
  }

  private current(kind: LiveKind, name: string, doc: Overrides): unknown {
    const section = kind === 'provider' ? doc.providers : doc.models;
    if (name in section) return section[name];
    return (kind === 'provider' ? this.base.providers?.[name] : this.base.models?.[name]) ?? null;
  }

  /** Overrides read, changed and written back under OVERRIDES_LEASE, by one replica at a time (one record: two at once would lose one); in this process one after another, a turn of the event loop between (the memory store ran fifty back to back: 0.57 s). */
  private change(work: () => Promise<void>): Promise<void> {
    return this.serially(() => this.deps.store.exclusive(OVERRIDES_LEASE, work));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
