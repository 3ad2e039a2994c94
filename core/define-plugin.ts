/**
 * `definePlugin`: a plugin factory whose options are checked when it is called, so a wrong option
 * fails at start with a message naming the plugin, the option path, the value found and what is
 * allowed, and whose `setup` receives the options with their defaults filled in and typed so.
 */
import { ConfigError } from './config/config-error.js';
import type { GatewayPlugin, PluginHooks, PluginHost } from './plugin.js';
import type { ProviderType } from './providers/provider.js';
import { formatIssues, validate } from './validation.js';

type PlainObject = Record<string, unknown>;

/**
 * The options `setup` receives: every key `Defaults` gives is present (recursively for nested
 * objects), so nothing filled in by a default needs a `!`.
 */
export type WithDefaults<Options, Defaults> = Omit<Options, keyof Defaults> & {
  -readonly [K in keyof Defaults & keyof Options]-?: Defaults[K] extends readonly unknown[]
    ? NonNullable<Options[K]>
    : Defaults[K] extends PlainObject
      ? WithDefaults<NonNullable<Options[K]>, Defaults[K]>
      : NonNullable<Options[K]>;
};

export interface PluginSpec<Options, Defaults extends Partial<Options>> {
  name: string;
  /** JSON Schema of the options, checked when the factory is called. */
  schema?: object;
  /** Values for options left out, merged under the given ones (nested objects key by key). */
  defaults?: Defaults;
  order?: 'pre' | 'post';
  requires?: readonly string[];
  /** Option names whose values are secrets, never printed. */
  secretOptions?: readonly string[];
  /**
   * @deprecated The name of an option that sets the gateway's admin key (`server.adminKey`), kept
   * for old configs (`auth({ adminKey })`); see `GatewayPlugin.adminKey`.
   */
  adminKeyOption?: string;
  providerTypes?: readonly ProviderType<never>[];
  requestOptions?: Readonly<Record<string, object>>;
  configSections?: Readonly<Record<string, object>>;
  providerOptions?: Readonly<Record<string, object>>;
  /** Runs once at start; returns the plugin's hooks, which close over what it prepared. */
  setup?(host: PluginHost, options: WithDefaults<Options, Defaults>): void | PluginHooks | Promise<void | PluginHooks>;
}

/** Options may be left out when none is required: `retry()`. */
export type PluginFactory<Options> = undefined extends Options
  ? (options?: Options) => GatewayPlugin
  : {} extends Options
    ? (options?: Options) => GatewayPlugin
    : (options: Options) => GatewayPlugin;

/**
 * Declares a plugin. `Defaults` is the type of `defaults`: write both type arguments so that
 * `setup` knows which options are always there.
 * @example
 * const defaults = { header: 'x-tag' } satisfies TaggerOptions;
 * export const tagger = definePlugin<TaggerOptions, typeof defaults>({
 *   name: 'request-tagger',
 *   schema: { type: 'object', additionalProperties: false, properties: { header: { type: 'string' } } },
 *   defaults,
 *   setup(host, options) {
 *     return {
 *       async middleware(ctx, next) {
 *         ctx.http.set(options.header, ctx.id); // options.header: string
 *         await next();
 *       },
 *     };
 *   },
 * });
 */
export function definePlugin<Options = undefined, Defaults extends Partial<Options> = {}>(spec: PluginSpec<Options, Defaults>): PluginFactory<Options> {
  const factory = (options?: Options): GatewayPlugin => {
    const given = options === undefined ? {} : isPlainObject(options) ? options : options;
    const resolved = (isPlainObject(given) ? withDefaults(spec.defaults ?? {}, given) : given) as WithDefaults<Options, Defaults>;
    if (spec.schema) {
      const secrets = new Set(spec.secretOptions ?? []);
      const issues = validate(spec.schema, resolved, (path) => secrets.has(path.split('/')[1] ?? ''));
      if (issues.length > 0) {
        throw new ConfigError(`invalid options for plugin ${spec.name}`, formatIssues(`${spec.name}: options`, issues).split('\n'));
      }
    }
    const adminKey = spec.adminKeyOption && isPlainObject(resolved) ? (resolved as PlainObject)[spec.adminKeyOption] : undefined;
    const plugin: GatewayPlugin = {
      name: spec.name,
      ...(typeof adminKey === 'string' ? { adminKey } : {}),
      ...(spec.order ? { order: spec.order } : {}),
      ...(spec.requires ? { requires: spec.requires } : {}),
      ...(spec.providerTypes ? { providerTypes: spec.providerTypes } : {}),
      ...(spec.requestOptions ? { requestOptions: spec.requestOptions } : {}),
      ...(spec.configSections ? { configSections: spec.configSections } : {}),
      ...(spec.providerOptions ? { providerOptions: spec.providerOptions } : {}),
      ...(spec.setup ? { setup: (host: PluginHost) => spec.setup!(host, resolved) } : {}),
    };
    return Object.defineProperty(plugin, MADE_WITH, { value: resolved });
  };
  Object.defineProperty(factory, 'name', { value: spec.name });
  return factory as PluginFactory<Options>;
}

/**
 * Where a plugin keeps the options it was made with, for tools that read a config without building
 * a gateway (`llm-gateway teams` lists the auth plugin's teams). `Symbol.for`, so that a plugin made
 * by another copy of this module (a config importing the built package) is read too; not
 * enumerable, so nothing that lists or logs a plugin's fields shows them (options hold secrets).
 */
const MADE_WITH = Symbol.for('llm-gateway:plugin-options');

/** The options (defaults filled in) `plugin` was made with; undefined for one not made by definePlugin. */
export function optionsOf(plugin: GatewayPlugin): unknown {
  return (plugin as GatewayPlugin & { [MADE_WITH]?: unknown })[MADE_WITH];
}

/**
 * `given` over a fresh copy of `defaults`: nested plain objects merged key by key, anything else
 * replaced. Neither argument is changed (ajv may fill schema defaults into the result).
 */
function withDefaults(defaults: PlainObject, given: PlainObject): PlainObject {
  const out = copyOf(defaults) as PlainObject;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const base = out[key];
    out[key] = isPlainObject(base) && isPlainObject(value) ? withDefaults(base, value) : isPlainObject(value) ? { ...value } : value;
  }
  return out;
}

/**
 * Plain objects and arrays copied, all else shared: not structuredClone, which cannot copy a
 * function, and a callback is an ordinary default (a hook the user may replace).
 */
function copyOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyOf);
  if (!isPlainObject(value)) return value;
  const out: PlainObject = {};
  for (const [key, field] of Object.entries(value)) out[key] = copyOf(field);
  return out;
}

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
