/**
 * The kernel's part of `gateway.config.ts`: server, logging, store, providers, virtual models,
 * model catalog and plugins. Plugins may read top-level keys of their own (`configSections`); the
 * package's `GatewayConfig` adds the first-party ones. The same object may come from `.ts`, `.js`,
 * `.mjs`, `.json` or `.yaml`.
 */
import type { LogFormat, LogLevel } from '../logger.js';
import type { GatewayPlugin } from '../plugin.js';
import type { CommonProviderOptions } from '../providers/provider.js';

export interface ServerOptions {
  /** Default 8080; the `PORT` variable and `--port` override it. */
  port?: number;
  /** Default `127.0.0.1`; `0.0.0.0` to listen on every interface. */
  host?: string;
  /** Largest request body accepted, in bytes or as `'10mb'`. Default 10 MB. */
  bodyLimit?: number | string;
  /** How long shutdown waits for in-flight requests and streams. Default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /**
   * Origins of browser apps allowed to call the gateway directly (CORS), e.g.
   * `['https://chat.example.com']`, or `'*'` for any. Default: none (browsers are refused).
   */
  corsOrigins?: string[] | '*';
  /**
   * How many reverse proxies (load balancers, TLS terminators) stand in front of the gateway, each
   * adding the address it was reached from to `X-Forwarded-For`. With N, a client's address is
   * the one the N-th proxy from the gateway saw, and `X-Forwarded-Proto` says whether the client
   * used HTTPS (the dashboard's login limit and its `Secure` cookies go by both). Default 0: the
   * connection's own address and scheme; such headers, which any client can send, are ignored.
   */
  trustedProxies?: number;
  /**
   * How long a client may take to send its request; how long the answer may run is not bounded
   * here. `headersMs` (default 30 000): the request line and headers, else the connection is
   * closed. `bodyMs` (default 30 000, from the request's arrival): the whole body, else a 408.
   */
  timeouts?: { headersMs?: number; bodyMs?: number };
  /**
   * Shape limits on JSON request bodies, checked before the body is parsed: `maxDepth` (nesting of
   * arrays and objects, default 64, a 400), `maxArrayLength` (elements of one array or members of
   * one object, default 100 000, a 413), `maxStringLength` (characters, default 8 388 608, a 413).
   */
  inputLimits?: { maxDepth?: number; maxArrayLength?: number; maxStringLength?: number };
  /**
   * The admin key (16 characters or more): `/admin/*` routes need it, as `Authorization: Bearer`
   * or `x-api-key`, and the dashboard's login compares with it. A secret: `check` never prints it.
   * Default: the LLM_GATEWAY_ADMIN_KEY environment variable; without one, admin routes answer 403
   * and the dashboard is off. May be read from another variable: `{ env: 'MY_ADMIN_KEY' }`.
   */
  adminKey?: string | EnvReference;
}

export interface CatalogOptions {
  /** How often provider model lists are refreshed. Default 300 000 ms (5 minutes). */
  refreshIntervalMs?: number;
  /** How long one provider's listing may take. Default 10 000 ms. */
  timeoutMs?: number;
}

/** A secret or setting read from the environment when the config loads: `{ env: 'GROQ_API_KEY' }`. */
export interface EnvReference {
  env: string;
  /** Used when the variable is unset; without it an unset variable is a config error. */
  default?: string;
}

/** A provider instance: a registered `type` plus that type's options. */
export interface ProviderConfig extends CommonProviderOptions {
  [option: string]: unknown;
}

export interface VirtualTargetConfig {
  /** `provider/model`. */
  model: string;
  weight?: number;
  priority?: number;
  tier?: 'free' | 'paid';
  /** Request fields to set for this target only, e.g. `{ temperature: 0 }`. */
  params?: Record<string, unknown>;
}

export interface VirtualModelConfig {
  targets: Array<string | VirtualTargetConfig>;
  /** How targets are chosen; routing plugins interpret it. Default `fallback` (in order). */
  strategy?: string;
  description?: string;
}

/** A plugin instance, an npm package name, or `[name, options]`; falsy entries are skipped. */
export type PluginEntry = GatewayPlugin | string | readonly [string, unknown?] | false | null | undefined;

export interface KernelConfig {
  server?: ServerOptions;
  logging?: { level?: LogLevel; format?: LogFormat };
  /**
   * Where state lives (gateway keys, counters for limits and budgets, cursors): `memory`,
   * `sqlite://<file>` (default `sqlite://data/gateway.sqlite`) or `redis://<host>:<port>` for
   * several replicas.
   */
  store?: string;
  providers?: Record<string, ProviderConfig>;
  /** Virtual models ("stacks") clients can ask for by name. */
  models?: Record<string, VirtualModelConfig>;
  catalog?: CatalogOptions;
  plugins?: PluginEntry[];
}
