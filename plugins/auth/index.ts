/**
 * gateway:auth, gateway keys (virtual keys) for every client.
 *
 * Options: how long a verified key is trusted before the store is asked again, and how many output
 * tokens a budget reserves when a request sets no `max_tokens`. (`adminKey` is a deprecated alias
 * of the config's `server.adminKey`: the kernel checks the admin key on `/admin/*`.)
 *
 * Before every route that is not public (`authorize`): every route but the admin ones needs a
 * gateway key (`Authorization: Bearer` or `x-api-key`): `/v1/*` and any API surface
 * or route a plugin adds elsewhere (Ollama's `/api/chat`), unless it says it is public (the probes
 * `/health` and `/ready`, a login page). Unknown, revoked or expired keys get a 401; a path no
 * route serves is a 404 whoever asks.
 * On the way in (chat and messages): the model must be one the key allows (403), the key must be
 * under its requests and tokens per minute (429 with Retry-After).
 * Before the first upstream try, once the route (rules, routing) and the prompt's token count
 * (token counter) are final: the key, and its team where `teams` gives the team a budget, must have
 * budget left for the request's most expensive outcome (402 with Retry-After at the window's
 * reset), which is reserved in both (budget.ts).
 * On the way out (`request:end`): tokens are added to the per-minute window and the reservation is
 * replaced by what the request actually cost.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayError, definePlugin, defineService, defineSlot, estimatePromptTokens, matchesModelGlob, modelVisibility, secretFrom, type GatewayContext, type Target } from 'llm-gateway/plugin';
import { defaultPricing, pricing as pricingService } from 'llm-gateway/plugins/cost';
import type { LocalCounters, WindowReading } from 'llm-gateway/store';
import { tokenCountSlot, usageOf } from 'llm-gateway/plugins/token-counter';
import { addKeyRoutes, keyUsage, teamUsage, type KeyUsage, type TeamUsage } from './admin-routes.js';
import { reportRefusal, spendReporter } from './budget-events.js';
import { budgetWindows, exhaustedWindow, exhaustedWindowNow, reserve, resetsInSeconds, teamBudgetWindows, type BudgetWindow, type Reservation } from './budget.js';
import { newKeySchema } from './key-spec.js';
import { KNOWN_KEYS_CAP, KeyStore, keyStateOf, type GatewayKey, type KeyBudget, type KeyPage, type KeyPatch, type KeyView, type NewKey } from './keys.js';
import { TeamBudgets, type TeamBudget } from './team-budgets.js';
import { configTeamBudgets } from './config-teams.js';
import { ModelNotice, UNMEASURED, UNPRICED } from './model-notices.js';
import { addToWindow, addToWindowNow, asTake, readWindow, readWindowNow, takeFromWindow, takeFromWindowNow, type RequestTake } from './limits.js';

export interface AuthOptions {
  /**
   * @deprecated Set `server.adminKey` in the config (default: LLM_GATEWAY_ADMIN_KEY) instead. Still
   * accepted: it sets the gateway's one admin key, and must not differ from `server.adminKey`.
   */
  adminKey?: string;
  /** Milliseconds a verified key is trusted before the store is asked again (how long a revocation takes to reach other replicas). Default 5000. */
  cacheTtlMs?: number;
  /** Output tokens a budget reserves for a request without `max_tokens`. Default 4096. */
  reserveOutputTokens?: number;
  /**
   * Budgets per team, over every key whose `team` it is, on top of each key's own:
   * `{ search: { budget: { monthlyUsd: 500 } } }`. A request reserves in both.
   */
  teams?: Record<string, { budget?: KeyBudget }>;
}

/** The caller's key, for other plugins (usage logging, rules by key or team). */
export interface CallerKey {
  readonly id: string;
  readonly name: string;
  readonly team: string | undefined;
  readonly metadata: Readonly<Record<string, string>> | undefined;
}

export const callerKeySlot = defineSlot<CallerKey>('auth:caller-key');
/** The request's budget reservation, made once however many tries and interceptors call upstream. */
const reservationSlot = defineSlot<Reservation | Promise<Reservation>>('auth:reservation');

/**
 * Whether nobody measured the answer: the provider reported no usage (a host that never does, a
 * client gone before the usage chunk) and no token counter counted it. Such an answer keeps its
 * budget reservation, the most it could have cost (settle), and its usage record costs the same.
 */
function nobodyMeasured(ctx: GatewayContext): boolean {
  return ctx.servedBy !== undefined && ctx.usage === undefined && ctx.get(tokenCountSlot) === undefined;
}

/**
 * What a key was charged for an answer nobody measured: its reservation, kept whole (see
 * `nobodyMeasured`), for the usage record to say the same as the key's spend. Undefined for a measured
 * answer, or one without a budget's reservation.
 */
export function keptReservationMicros(ctx: GatewayContext): number | undefined {
  const held = ctx.get(reservationSlot);
  return nobodyMeasured(ctx) && held !== undefined && !(held instanceof Promise) && held.ok ? held.micros : undefined;
}

/** The gateway key a request authenticated with, set by `authorize` (`Symbol.for`: any copy of this plugin reads it). */
const KEY_STATE = Symbol.for('llm-gateway.auth:key');

/**
 * The gateway key an HTTP request authenticated with, for plugins that keep state per key (stored
 * responses are private to the key that created them). Undefined when `gateway:auth` is not
 * configured, or on a path that takes no gateway key.
 * @example
 * const owner = authenticatedKey(http)?.id ?? null;
 */
export function authenticatedKey(http: KoaContext): CallerKey | undefined {
  const key = keyOf(http);
  return key ? callerOf(key) : undefined;
}

const keyOf = (http: KoaContext) => (http.state as Record<symbol, GatewayKey | undefined>)[KEY_STATE];
const callerOf = (key: GatewayKey): CallerKey => ({ id: key.id, name: key.name, team: key.team, metadata: key.metadata });

/**
 * A key's counters' names, made once for each key: the counters find a string they have seen
 * without hashing it again (sliding-window.ts). Looked up by the key's id, the very string the
 * key store holds, whose hash V8 keeps. Bounded like the key store's cache.
 */
const counterNames = new Map<string, { rpm: string; tpm: string; bucket: string }>();
function countersOf(key: { id: string }): { rpm: string; tpm: string; bucket: string } {
  let names = counterNames.get(key.id);
  if (names === undefined) {
    if (counterNames.size >= KNOWN_KEYS_CAP) counterNames.clear();
    counterNames.set(key.id, (names = { rpm: `rpm:${key.id}`, tpm: `tpm:${key.id}`, bucket: `bucket:${key.id}` }));
  }
  return names;
}

/** Gateway keys for other plugins (the dashboard): the same operations as `/admin/keys`, never a hash. */
export interface KeyAdmin {
  /** Every key, newest first (read a page at a time; a store with many keys answers slowly). */
  list(): Promise<KeyView[]>;
  /** Up to `limit` keys (1 to 1,000), newest first, below `cursor` (an earlier page's `next`), or from the newest. */
  page(limit: number, cursor?: string): Promise<KeyPage>;
  get(id: string): Promise<KeyView | undefined>;
  /** The secret is in this answer only. */
  create(spec: NewKey): Promise<{ key: KeyView; secret: string }>;
  update(id: string, patch: KeyPatch): Promise<KeyView | undefined>;
  /** A new secret (in this answer only) for the same key; the old one is refused after `graceSeconds` (default 0). */
  rotate(id: string, graceSeconds?: number): Promise<{ key: KeyView; secret: string } | undefined>;
  revoke(id: string): Promise<KeyView | undefined>;
  usage(key: KeyView): Promise<KeyUsage>;
  /** The teams given a budget (by `auth({ teams })` or while running), with what their keys have spent. */
  teams(): Promise<TeamUsage[]>;
  /** Gives a team a budget, stored (every replica within the key cache time), over the config's. */
  setTeamBudget(team: string, budget: KeyBudget): Promise<TeamBudget>;
  /** Removes a budget set while running (the config's applies again); false when there was none. */
  removeTeamBudget(team: string): Promise<boolean>;
}

export const keyAdmin = defineService<KeyAdmin>('auth:keys');

/** What a key's windows say before any work (see `readKeyWindows`). */
interface KeyWindows {
  requests: RequestTake | undefined;
  tokensUsed: WindowReading | undefined;
  spent: BudgetWindow | undefined;
}

const defaults = { cacheTtlMs: 5000, reserveOutputTokens: 4096 } satisfies AuthOptions;

export const auth = definePlugin<AuthOptions, typeof defaults>({
  name: 'gateway:auth',
  order: 'pre',
  secretOptions: ['adminKey'],
  adminKeyOption: 'adminKey',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      adminKey: { type: 'string', minLength: 16 },
      cacheTtlMs: { type: 'integer', minimum: 0 },
      reserveOutputTokens: { type: 'integer', minimum: 0 },
      teams: { type: 'object', additionalProperties: { type: 'object', additionalProperties: false, properties: { budget: newKeySchema.properties.budget } } },
    },
  },
  defaults,
  async setup(host, options) {
    const { store } = host;
    const keys = new KeyStore(keyStateOf(store), options.cacheTtlMs);
    /** Looked up when first needed: the plugin providing it may set up after this one. */
    const findPricing = () => host.tryResolve(pricingService) ?? defaultPricing();
    const unpriced = new ModelNotice(host.logger, UNPRICED);
    const unmeasured = new ModelNotice(host.logger, UNMEASURED);
    const teamBudgets = new TeamBudgets(store, configTeamBudgets(options.teams), host.logger);
    /** windowsFor's arrays, by key id: bounded like the key cache. */
    const combined = new Map<string, { own: readonly BudgetWindow[]; team: readonly BudgetWindow[]; all: readonly BudgetWindow[] }>();
    const resolveTargets = (model: string): GatewayContext['route'] => {
      try {
        return host.models.resolve(model);
      } catch {
        return undefined;
      }
    };
    addKeyRoutes(host, keys, teamBudgets);
    host.provide(keyAdmin, {
      list: () => keys.list(),
      page: (limit, cursor) => keys.page(limit, cursor),
      get: (id) => keys.get(id),
      create: (spec) => keys.create(spec),
      update: (id, patch) => keys.update(id, patch),
      rotate: (id, graceSeconds) => keys.rotate(id, graceSeconds),
      revoke: (id) => keys.revoke(id),
      usage: (key) => keyUsage(store, key),
      teams: () => teamUsage(store, teamBudgets.list()),
      setTeamBudget: async (team, budget) => teamBudgets.set(team, budget),
      removeTeamBudget: (team) => teamBudgets.remove(team),
    });
    // GET /v1/models lists to a key only the models it may use (a key without `models` sees all).
    host.provide(modelVisibility, (http) => {
      const allowed = keyOf(http)?.models;
      return allowed ? (model) => allowed.some((glob) => matchesModelGlob(model, glob)) : undefined;
    });
    const settleFailed = (ctx: GatewayContext) => (error: Error) => host.logger.warn('could not settle a key\'s usage', { error: error.message, requestId: ctx.id });
    host.events.on('request:end', (ctx) => {
      try {
        void settle(ctx)?.catch(settleFailed(ctx));
      } catch (error) {
        settleFailed(ctx)(error as Error);
      }
    });
    // Last in setup, so that nothing after it can fail and leave its timer behind. Budgets given
    // while running, on another replica, hold here within the key cache time (a second at least).
    await teamBudgets.start(Math.max(options.cacheTtlMs, 1000));

    return {
      close: () => teamBudgets.close(),

      // Every route that is not public asks: API routes a gateway key. Admin routes had the admin
      // key checked by the kernel (server.adminKey) before this runs.
      authorize(http, access) {
        if (access === 'admin') return;
        const secret = secretFrom(http.req.headers);
        if (!secret) throw new GatewayError('authentication', 'Missing gateway key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>".', { code: 'missing_api_key' });
        // A key verified lately comes from the cache at once; only the store is waited for.
        const found = keys.find(secret);
        if (found instanceof Promise) return found.then((key) => acceptKey(http, key));
        acceptKey(http, found);
      },

      middleware(ctx, next) {
        const key = keyOf(ctx.http);
        if (!key) return next();
        ctx.set(callerKeySlot, callerOf(key));
        const model = ctx.request.model;
        if (key.models && !key.models.some((glob) => matchesModelGlob(model, glob))) {
          throw new GatewayError('permission', `This key may not use the model '${model}' (allowed: ${key.models.join(', ')}).`, { code: 'model_not_allowed', param: 'model' });
        }
        // In-process counters answer at once, so the common case waits for no promise.
        const read = readKeyWindows(key);
        if (read instanceof Promise) return read.then((windows) => admit(ctx, key, windows)).then(next);
        admit(ctx, key, read);
        return next();
      },

      // Outermost around the upstream pipeline (auth is a `pre` plugin): runs once the request
      // middleware (token counter, rules, routing) has settled the route and the prompt.
      upstream: (next) =>
        async function reserveBudget(call) {
          const key = call.ctx.http ? keyOf(call.ctx.http) : undefined;
          if (key) {
            const pending = reservationFor(call.ctx, key, call.target);
            const reservation = pending instanceof Promise ? await pending : pending;
            // Held as it came out, so what reads it later (settle, the usage record) need not wait.
            if (pending instanceof Promise && reservation) call.ctx.set(reservationSlot, reservation);
            if (reservation && !reservation.ok) {
              reportRefusal(host.events, callerOf(key), reservation.window, reservation.spentMicros);
              throw overBudget(reservation.window, { spentMicros: reservation.spentMicros, requestMicros: reservation.micros });
            }
          }
          return next(call);
        },
    };

    /** The key's budget windows and its team's: one array a key, made again when either changes (the day, a new budget). */
    function windowsFor(key: GatewayKey): readonly BudgetWindow[] {
      const own = budgetWindows(key.id, key.budget);
      const teamBudget = key.team === undefined ? undefined : teamBudgets.get(key.team);
      if (teamBudget === undefined) return own;
      const team = teamBudgetWindows(key.team!, teamBudget);
      const known = combined.get(key.id);
      if (known && known.own === own && known.team === team) return known.all;
      if (combined.size >= KNOWN_KEYS_CAP) combined.clear();
      const all = [...own, ...team];
      combined.set(key.id, { own, team, all });
      return all;
    }

    /** The request goes on with this key: it exists, and is neither revoked nor expired. */
    function acceptKey(http: KoaContext, key: GatewayKey | undefined): void {
      if (!key) throw new GatewayError('authentication', 'Invalid gateway key.', { code: 'invalid_api_key' });
      const status = keys.status(key);
      if (status !== 'active') throw new GatewayError('authentication', `This gateway key was ${status === 'revoked' ? 'revoked' : 'valid until ' + key.expiresAt}.`, { code: `${status}_api_key` });
      (http.state as Record<symbol, GatewayKey>)[KEY_STATE] = key;
    }

    /**
     * Takes one request from the key's rpm, and reads its tokens this minute and whether a budget
     * is already spent: at once on in-process counters, in one round trip on a shared store.
     */
    function readKeyWindows(key: GatewayKey): KeyWindows | Promise<KeyWindows> {
      const rpm = key.limits?.rpm;
      const tpm = key.limits?.tpm;
      const budgets = windowsFor(key);
      const { local } = store.counters;
      if (local) {
        return {
          requests: rpm === undefined ? undefined : takeRequestNow(local, key, rpm),
          tokensUsed: tpm === undefined ? undefined : readWindowNow(local, countersOf(key).tpm),
          spent: budgets.length === 0 ? undefined : exhaustedWindowNow(local, budgets),
        };
      }
      return Promise.all([
        rpm === undefined ? undefined : takeRequest(key, rpm),
        tpm === undefined ? undefined : readWindow(store.counters, countersOf(key).tpm),
        budgets.length === 0 ? undefined : exhaustedWindow(store.counters, budgets),
      ]).then(([requests, tokensUsed, spent]) => ({ requests, tokensUsed, spent }));
    }

    /**
     * Refuses a key over its rpm or tpm (429) or already spent to a budget (402), before any work;
     * the budget's reservation itself waits for the final route and token count (`reserveBudget`).
     */
    function admit(ctx: GatewayContext, key: GatewayKey, { requests, tokensUsed, spent }: KeyWindows): void {
      const rpm = key.limits?.rpm;
      const tpm = key.limits?.tpm;
      if (requests && !requests.allowed) throw limited(`This key is over its limit of ${rpm} requests per minute.`, 'rpm_exceeded', requests.retryAfterSeconds);
      // The prompt is counted only when a tpm limit asks: counting is the token counter's costly part.
      if (tpm !== undefined && tokensUsed !== undefined) {
        const prompt = ctx.get(tokenCountSlot)?.promptTokens ?? estimatePromptTokens(ctx.request);
        // A prompt larger than the whole limit never fits, however long the client waits.
        if (prompt > tpm) throw new GatewayError('rate_limited', `This request's prompt (about ${Math.ceil(prompt)} tokens) is larger than the key's whole limit of ${tpm} tokens per minute: it cannot be served with this key. Shorten it.`, { code: 'tpm_exceeded', retryable: false });
        if (tokensUsed.count + prompt > tpm) throw limited(`This key is over its limit of ${tpm} tokens per minute.`, 'tpm_exceeded', Math.ceil(tokensUsed.waitFor(prompt, tpm) / 1000));
      }
      if (spent) {
        reportRefusal(host.events, ctx.get(callerKeySlot)!, spent);
        throw overBudget(spent);
      }
    }

    /** One request taken from the key's rpm: a sliding window, or a token bucket when the key asks for one. */
    async function takeRequest(key: GatewayKey, rpm: number): Promise<RequestTake> {
      if (key.limits?.algorithm === 'token-bucket') return asTake(await store.counters.takeFromBucket(countersOf(key).bucket, 1, key.limits.burst ?? rpm, rpm / 60));
      return takeFromWindow(store.counters, countersOf(key).rpm, 1, rpm);
    }

    function takeRequestNow(local: LocalCounters, key: GatewayKey, rpm: number): RequestTake {
      if (key.limits?.algorithm === 'token-bucket') return asTake(local.takeFromBucketNow(countersOf(key).bucket, 1, key.limits.burst ?? rpm, rpm / 60));
      return takeFromWindowNow(local, countersOf(key).rpm, 1, rpm);
    }

    /**
     * Reserves, once per request, the most the request can cost: its counted prompt and its
     * `max_tokens` (or `reserveOutputTokens`) at the dearest price among the targets it may be
     * served by.
     */
    function reservationFor(ctx: GatewayContext, key: GatewayKey, target: Target): Reservation | Promise<Reservation> | undefined {
      const windows = windowsFor(key);
      if (windows.length === 0) return undefined;
      let pending = ctx.get(reservationSlot);
      if (!pending) {
        // A client that left has been settled already (`request:end`): a reservation now would never be given back.
        ctx.throwIfAborted();
        const promptTokens = ctx.get(tokenCountSlot)?.promptTokens ?? estimatePromptTokens(ctx.request);
        const targets = [...(ctx.route?.targets ?? resolveTargets(ctx.request.model)?.targets ?? []), target];
        const estimate = findPricing().estimateMicros(targets, ctx.request, promptTokens, options.reserveOutputTokens, ctx.nativeRequest());
        pending = reserve(store.counters, windows, estimate);
        ctx.set(reservationSlot, pending);
      }
      return pending;
    }

    /** Counts the request's tokens in the key's minute and replaces its reservation by what it cost; at once on in-process counters. */
    function settle(ctx: GatewayContext): void | Promise<void> {
      const key = ctx.get(callerKeySlot);
      if (!key) return;
      // Reported by the provider, or counted on the way (a cancelled stream pays for what it got).
      // Only an answer that started spends tokens and money; refusals and failed tries do not.
      const { usage } = ctx.servedBy ? usageOf(ctx) : { usage: undefined };
      const tokens = usage ? usage.prompt_tokens + usage.completion_tokens : 0;
      const actual = (reserved: number) => {
        if (!ctx.servedBy || !usage) return 0;
        // An answer nobody measured keeps its reservation: counted as its prompt alone, a client
        // that left a stream before its usage chunk would spend past its budget for free.
        if (nobodyMeasured(ctx)) {
          unmeasured.sayOnce(ctx.servedBy, key.id);
          return reserved;
        }
        const micros = findPricing().costMicros(ctx.servedBy, usage);
        if (micros === undefined) unpriced.sayOnce(ctx.servedBy, key.id);
        return micros ?? 0;
      };
      const held = ctx.get(reservationSlot);
      const { local } = store.counters;
      if (local && !(held instanceof Promise)) {
        addToWindowNow(local, countersOf(key).tpm, tokens);
        if (held?.ok) return held.release(actual(held.micros), spendReporter(host.events, key));
        return;
      }
      return (async () => {
        await addToWindow(store.counters, countersOf(key).tpm, tokens);
        const reservation = await Promise.resolve(held).catch(() => undefined);
        if (reservation?.ok) await reservation.release(actual(reservation.micros), spendReporter(host.events, key));
      })();
    }
  },
});

/**
 * The refusal of a request a budget window cannot take: spent, or (`reserved`) with less left than
 * the request could cost, which a smaller `max_tokens` may fit at once.
 */
function overBudget(window: BudgetWindow, reserved?: { spentMicros: number; requestMicros: number }): GatewayError {
  const resetsIn = resetsInSeconds(window);
  const budget = `${window.name} budget of ${dollars(window.limitMicros)}`;
  const left = reserved ? window.limitMicros - reserved.spentMicros : 0;
  const message =
    left > 0
      ? `This request could cost up to ${dollars(reserved!.requestMicros)}, more than the ${dollars(left)} left of the ${budget} of ${window.team === undefined ? 'this key' : `this key's team '${window.team}'`}: ask for fewer tokens (max_tokens), or wait until it resets in ${resetsIn} s.`
      : `${window.team === undefined ? 'This key has' : `This key's team '${window.team}' has`} used its ${budget}; it resets in ${resetsIn} s.`;
  return new GatewayError('budget_exceeded', message, {
    code: `${window.team === undefined ? '' : 'team_'}${window.name}_budget_exceeded`,
    retryable: false,
    retryAfterSeconds: resetsIn,
  });
}

/** Dollars from micro-dollars: cents, or two significant digits under a cent (a $0.004 budget is not "$0.00"). */
function dollars(micros: number): string {
  const usd = micros / 1e6;
  return `$${usd === 0 || usd >= 0.01 ? usd.toFixed(2) : usd.toPrecision(2)}`;
}

function limited(message: string, code: string, retryAfterSeconds: number): GatewayError {
  return new GatewayError('rate_limited', message, { code, retryable: true, retryAfterSeconds });
}

export { KeyStore } from './keys.js';
export type { GatewayKey, KeyPage, KeyView, NewKey, KeyPatch, KeyLimits, KeyBudget, KeyRecords } from './keys.js';
export type { KeyUsage, TeamUsage } from './admin-routes.js';
export type { BudgetSpend, BudgetRefusal, BudgetState } from './budget-events.js';
export { parseKeyPatch, parseNewKey, parseRotation, parseTeamBudget } from './key-spec.js';
export type { TeamBudget } from './team-budgets.js';
