/**
 * The providers and virtual models of a raw config, resolved: disabled entries left out,
 * `{ env: NAME }` references read, every virtual model's targets checked against the providers.
 * Used at start, and again for every live change (a file reload, an override from the dashboard).
 * `{ secret: NAME }` references are left in place here; the kernel fills them from the store's
 * encrypted secrets once it is open (see live/secrets.ts).
 */
import { isSecretReference } from '../live/secrets.js';
import { rememberSecret } from '../secret-values.js';
import type { EnvReference, KernelConfig, ProviderConfig, VirtualModelConfig } from './kernel-config.js';
import type { ResolvedVirtualModel } from './resolve-config.js';
import { isSecretPath, SECRET_NAME } from '../secret-names.js';

/** Option names that hold secrets in any provider or plugin (`apiKey`, `adminKey`, `token`, ...). */
export { SECRET_NAME };

export interface ResolvedProviders {
  /** Enabled providers in config order. */
  readonly providers: ReadonlyArray<{ readonly id: string; readonly options: ProviderConfig }>;
  readonly models: ReadonlyMap<string, ResolvedVirtualModel>;
}

export function resolveProviders(raw: Pick<KernelConfig, 'providers' | 'models'>, env: NodeJS.ProcessEnv, problems: string[], secrets: Set<string>): ResolvedProviders {
  const providers: Array<{ id: string; options: ProviderConfig }> = [];
  const disabled = new Set<string>();
  for (const [id, entry] of Object.entries(raw.providers ?? {})) {
    if (entry.enabled === false) {
      disabled.add(id);
      continue;
    }
    providers.push({ id, options: readEnvReferences(entry, `/providers/${id}`, env, problems, secrets) as ProviderConfig });
  }
  const models = new Map<string, ResolvedVirtualModel>();
  const providerIds = new Set(providers.map((p) => p.id));
  for (const [name, model] of Object.entries(raw.models ?? {})) models.set(name, resolveVirtualModel(name, model, providerIds, disabled, problems));
  return { providers, models };
}

/**
 * A target on a provider that is configured but disabled (`enabled: false`, the dashboard's switch)
 * is left out, so switching a provider off sends its traffic to the model's other targets; a model
 * left with no target, or naming a provider nobody configured, is a problem.
 */
function resolveVirtualModel(name: string, model: VirtualModelConfig, providerIds: ReadonlySet<string>, disabled: ReadonlySet<string>, problems: string[]): ResolvedVirtualModel {
  const specs = model.targets.map((entry, index) => ({ index, spec: typeof entry === 'string' ? { model: entry } : entry }));
  const kept = specs.filter(({ spec }) => !disabled.has(spec.model.slice(0, spec.model.indexOf('/'))));
  if (kept.length === 0 && specs.length > 0) problems.push(`config/models/${name} has no target left: every provider it names is disabled (${[...new Set(specs.map(({ spec }) => spec.model.split('/')[0]))].join(', ')})`);
  const targets = kept.map(({ spec, index }) => {
    const slash = spec.model.indexOf('/');
    const provider = spec.model.slice(0, slash);
    if (!providerIds.has(provider)) {
      problems.push(`config/models/${name}/targets/${index} names provider "${provider}", which is not configured or not enabled (found ${JSON.stringify(spec.model)}; configured: ${[...providerIds].join(', ') || 'none'})`);
    }
    return {
      provider,
      model: spec.model.slice(slash + 1),
      weight: spec.weight ?? 1,
      priority: spec.priority ?? 0,
      ...(spec.tier ? { tier: spec.tier } : {}),
      ...(spec.params ? { params: spec.params } : {}),
    };
  });
  return { name, ...(model.strategy ? { strategy: model.strategy } : {}), targets, ...(model.description ? { description: model.description } : {}) };
}

/** A secret value read: masked wherever config is printed, and never quoted by an error or a log line. */
export function keepSecret(secrets: Set<string>, value: string): void {
  secrets.add(value);
  rememberSecret(value);
}

function isEnvReference(value: unknown): value is EnvReference {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return typeof (value as EnvReference).env === 'string' && keys.every((k) => k === 'env' || k === 'default');
}

/** Replaces `{ env: 'NAME' }` anywhere in a provider's options with the variable's value. */
function readEnvReferences(value: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[], secrets: Set<string>): unknown {
  if (isEnvReference(value)) {
    const found = env[value.env] ?? value.default;
    if (found === undefined || found === '') {
      problems.push(`config${path} reads environment variable ${value.env}, which is not set`);
      return undefined;
    }
    if (isSecretPath(path)) keepSecret(secrets, found);
    return found;
  }
  // A stored secret's name (`{ secret: name }`, filled in by live/secrets.ts) is not itself a secret.
  if (isSecretReference(value)) return value;
  if (Array.isArray(value)) return value.map((item, i) => readEnvReferences(item, `${path}/${i}`, env, problems, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readEnvReferences(v, `${path}/${k}`, env, problems, secrets)]));
  }
  if (typeof value === 'string' && value.length > 0 && isSecretPath(path)) keepSecret(secrets, value);
  return value;
}
