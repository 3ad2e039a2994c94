/**
 * Turns a raw config object into the resolved config the kernel runs: schema-checked, defaults
 * filled, `{ env: NAME }` references read, plugins given by package name imported and instantiated,
 * and plugins sorted into their tiers. Every problem is collected and reported at once, each naming
 * its path, what was found and what is allowed.
 */
import type { LogFormat, LogLevel } from '../logger.js';
import type { GatewayPlugin } from '../plugin.js';
import { loadPlugins, sortByTier, type NamedPlugins } from './load-plugins.js';
import type { Target } from '../providers/provider.js';
import { describeFound, formatIssues, validate } from '../validation.js';
import { resolveProviders } from './resolve-providers.js';
import { isSecretPath } from '../secret-names.js';
import { ConfigError } from './config-error.js';
import type { EnvReference, KernelConfig, ProviderConfig, VirtualModelConfig } from './kernel-config.js';
import { configSchema } from './schema.js';
import { parseByteSize } from './byte-size.js';
import type { InputLimits } from '../http/body-rules.js';
import { checkAdminKeyVariable, resolveAdminKey } from './admin-key.js';

export interface ResolvedVirtualModel {
  readonly name: string;
  /** The model's own; absent, the routing plugin's default (`routing({ strategy })`, else fallback). */
  readonly strategy?: string;
  readonly description?: string;
  readonly targets: readonly (Target & { weight: number; priority: number; tier?: 'free' | 'paid' })[];
}

/** Nothing to install: one SQLite file, created on first start. */
export const DEFAULT_STORE = 'sqlite://data/gateway.sqlite';

export interface ResolvedConfig {
  readonly server: {
    port: number;
    host: string;
    bodyLimit: number;
    shutdownTimeoutMs: number;
    corsOrigins: readonly string[] | '*';
    trustedProxies: number;
    timeouts: { headersMs: number; bodyMs: number };
    inputLimits: InputLimits;
    /** `server.adminKey`, else a plugin's deprecated `adminKey` option, else LLM_GATEWAY_ADMIN_KEY (see admin-key.ts). */
    adminKey: string | undefined;
  };
  readonly logging: { level: LogLevel; format: LogFormat };
  readonly store: string;
  /** Top-level keys that plugins declared (`configSections`) and the config set, as given. */
  readonly sections: Readonly<Record<string, unknown>>;
  /** Enabled providers in config order, env references read. */
  readonly providers: ReadonlyArray<{ readonly id: string; readonly options: ProviderConfig }>;
  readonly models: ReadonlyMap<string, ResolvedVirtualModel>;
  readonly catalog: { refreshIntervalMs: number; timeoutMs: number };
  /** In execution order: `pre` tier, then unmarked, then `post`; config order within a tier. */
  readonly plugins: readonly GatewayPlugin[];
  /** Values read from the environment for secret-looking options, masked wherever config is printed. */
  readonly secrets: ReadonlySet<string>;
}

export type { NamedPlugins } from './load-plugins.js';

export interface ResolveOptions {
  /** Where plugin package names are resolved from: the config file's folder. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  namedPlugins?: NamedPlugins;
  /** Plugins loaded before the config's own; their `configSections` count as known. */
  builtins?: readonly GatewayPlugin[];
  /** Further top-level keys to accept (documented aliases), with their schemas. */
  configSections?: Readonly<Record<string, object>>;
}

export const DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  bodyLimit: 10 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
  headersMs: 30_000,
  bodyMs: 30_000,
  inputLimits: { maxDepth: 64, maxArrayLength: 100_000, maxStringLength: 8 * 1024 * 1024 },
  refreshIntervalMs: 300_000,
  catalogTimeoutMs: 10_000,
} as const;

export { SECRET_NAME } from './resolve-providers.js';

export async function resolveConfig(raw: KernelConfig, options: ResolveOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const secrets = new Set<string>();

  // Every problem in one run, not one run each: what the schema finds wrong, then each later step
  // whose part of the config has the shape it reads (a step given a broken shape would only report
  // that again, or fail on it).
  const issues = validate(openConfigSchema, raw, isSecretPath);
  if (issues.length > 0) problems.push(...formatIssues('config', issues).split('\n'));
  const wellShaped = (...keys: string[]) => !issues.some(({ path }) => path === '/' || keys.some((key) => path === `/${key}` || path.startsWith(`/${key}/`)));

  const { providers, models } = wellShaped('providers', 'models') ? resolveProviders(raw, env, problems, secrets) : { providers: [], models: new Map() };

  const plugins = wellShaped('plugins') ? await loadPlugins(raw.plugins ?? [], options.baseDir ?? process.cwd(), options.namedPlugins ?? {}, problems, options.builtins) : [];
  // With a plugin that did not load, its sections would read as unknown options and its admin key as absent.
  const pluginsKnown = wellShaped('plugins') && plugins.length === (raw.plugins ?? []).filter(Boolean).length;
  const sections = pluginsKnown ? readSections(raw, [...(options.builtins ?? []), ...plugins], options.configSections ?? {}, problems) : {};
  const adminKey = pluginsKnown && wellShaped('server') ? resolveAdminKey(raw, [...(options.builtins ?? []), ...plugins], env, problems, secrets) : undefined;
  // Without every plugin, a plugin's admin key alias is not known: only server.adminKey's own variable is checked.
  if (!pluginsKnown && wellShaped('server')) checkAdminKeyVariable(raw, env, problems);
  if (problems.length > 0) throw new ConfigError('invalid config', problems);

  return {
    server: {
      port: raw.server?.port ?? DEFAULTS.port,
      host: raw.server?.host ?? DEFAULTS.host,
      bodyLimit: raw.server?.bodyLimit === undefined ? DEFAULTS.bodyLimit : parseByteSize(raw.server.bodyLimit),
      shutdownTimeoutMs: raw.server?.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
      corsOrigins: raw.server?.corsOrigins ?? [],
      trustedProxies: raw.server?.trustedProxies ?? 0,
      timeouts: { headersMs: raw.server?.timeouts?.headersMs ?? DEFAULTS.headersMs, bodyMs: raw.server?.timeouts?.bodyMs ?? DEFAULTS.bodyMs },
      inputLimits: { ...DEFAULTS.inputLimits, ...raw.server?.inputLimits },
      adminKey,
    },
    logging: { level: raw.logging?.level ?? 'info', format: raw.logging?.format ?? 'text' },
    store: raw.store ?? DEFAULT_STORE,
    sections,
    providers,
    models,
    catalog: {
      refreshIntervalMs: raw.catalog?.refreshIntervalMs ?? DEFAULTS.refreshIntervalMs,
      timeoutMs: raw.catalog?.timeoutMs ?? DEFAULTS.catalogTimeoutMs,
    },
    plugins: sortByTier(plugins),
    secrets,
  };
}

/** The kernel's schema, open to the top-level keys plugins declare (checked by `readSections`). */
const openConfigSchema = { ...configSchema, additionalProperties: true };

/** Top-level keys beyond the kernel's: each must be one a plugin declared, and match its schema. */
function readSections(
  raw: KernelConfig,
  plugins: readonly GatewayPlugin[],
  extra: Readonly<Record<string, object>>,
  problems: string[],
): Record<string, unknown> {
  const declared: Record<string, object> = { ...extra };
  for (const plugin of plugins) Object.assign(declared, plugin.configSections);
  const sections: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key in configSchema.properties || value === undefined) continue;
    const schema = declared[key];
    if (!schema) {
      problems.push(`config/${key} is not a known option (${describeFound(value)})`);
      continue;
    }
    const issues = validate(schema, value, isSecretPath);
    if (issues.length > 0) problems.push(...formatIssues(`config/${key}`, issues).split('\n').map((line) => line.replace(`config/${key}/ `, `config/${key} `)));
    else sections[key] = value;
  }
  return sections;
}
