/**
 * `gateway:routing`: decides the order in which a request's targets are tried.
 *
 * Options: the default strategy for models that do not name one, and a price table for
 * `lowest-cost`. On the way in it resolves the requested model (a virtual model, `provider/model`,
 * or a listed model), applies the client's hints (`exclude` removes targets, `prefer` moves them
 * first, `strategy` overrides the model's), orders the rest by the strategy, and moves deployments
 * whose circuit is open to the back. The retry plugin then tries them in that order.
 *
 * @example
 * plugins: [routing({ prices: { 'groq/llama-3.3-70b-versatile': 0.7 } }), retry(), circuitBreaker()]
 */
import { definePlugin, invalidRequest, type RouteDecision, type Target } from 'llm-gateway/plugin';
import { circuitBreakerState, type CircuitBreakerState } from 'llm-gateway/plugins/circuit-breaker';
import { limitHeadroom, type LimitHeadroom } from 'llm-gateway/plugins/rate-limits';
import { hintMatches, readRoutingHints, routingRequestOptions, type RoutingHints } from './hints.js';
import { Remeasuring } from './remeasure.js';
import { STRATEGIES, orderTargets, type RoutedTarget, type Strategy } from './strategies.js';

export interface RoutingOptions {
  /** For models that name no strategy (direct `provider/model`, listed models). Default `fallback`. */
  strategy?: Strategy;
  /** USD per million tokens (input + output) by deployment `provider/model` or provider id. */
  prices?: Record<string, number>;
}

const defaults = { strategy: 'fallback' } satisfies RoutingOptions;

/**
 * A round-robin cursor expires a day after its route's last request: a virtual model removed
 * (or renamed) leaves nothing in the store for good, and one that comes back starts its turns anew.
 */
const CURSOR = { ttlMs: 86_400_000, options: { renewTtl: true } } as const;

export const routing = definePlugin<RoutingOptions, typeof defaults>({
  name: 'gateway:routing',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      strategy: { enum: [...STRATEGIES] },
      prices: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
    },
  },
  defaults,
  requestOptions: routingRequestOptions,
  setup(host, options) {
    const prices = options.prices ?? {};
    const { models, health } = host;
    const { counters } = host.store;
    const remeasuring = new Remeasuring((t) => models.isConfigured(t));
    host.events.on('config:change', (_now, replaced) => remeasuring.reconfigured(replaced));
    // Every virtual model names a strategy this plugin knows, at start and after every live change.
    host.checkConfig((next) =>
      [...next.models.values()]
        .filter((m) => m.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(m.strategy))
        .map((m) => `config/models/${m.name}/strategy must be one of: ${STRATEGIES.map((s) => JSON.stringify(s)).join(', ')} (found ${JSON.stringify(m.strategy)})`),
    );
    // Provided by plugins that may come later in the list: looked up on first use.
    let peers: { circuits: CircuitBreakerState | undefined; headroom: LimitHeadroom | undefined } | undefined;
    const peersOnce = () => (peers ??= { circuits: host.tryResolve(circuitBreakerState), headroom: host.tryResolve(limitHeadroom) });

    return {
      async middleware(ctx, next) {
        const { circuits, headroom } = peersOnce();
        const hints = readRoutingHints(ctx.http.req.headers, ctx.requestOptions);
        const route = ctx.route ?? models.resolve(ctx.request.model);
        const declared = route.virtualModel ? models.virtualModel(route.virtualModel)?.strategy : undefined;
        const strategy = pickStrategy(hints, declared, options.strategy);
        const candidates = applyHints(route.targets as RoutedTarget[], hints);
        // The cursor lives in the store: restarts keep it (SQLite) and replicas share it (Redis).
        // Only routes with a choice have one: those are virtual models and listed models, never a
        // client-chosen `provider/model` (one target), so the cursors are as many as the config says.
        const cursor = strategy === 'round-robin' && candidates.length > 1 ? (await counters.add(`cursor:${routeKeyOf(route)}`, 1, CURSOR.ttlMs, CURSOR.options)) - 1 : 0;
        // Headroom may live in Redis: asked once per target, only when the strategy reads it.
        const withHeadroom = strategy === 'usage-aware' && headroom && candidates.length > 1 ? await targetsWithHeadroom(candidates, headroom) : undefined;
        // Every strategy only orders: one candidate (a client's `provider/model`) has one order.
        const ordered = candidates.length < 2 ? candidates.slice() : orderTargets(strategy, candidates, {
          health: (t) => health.get(t),
          price: (t) => prices[`${t.provider}/${t.model}`] ?? prices[t.provider],
          random: Math.random,
          now: Date.now,
          hasHeadroom: (t) => withHeadroom?.has(t) ?? true,
          nextCursor: () => cursor,
        });
        // One target has no order to change: its circuit is the breaker's business, not the route's.
        const open = circuits && ordered.length > 1 ? await openTargets(ordered, circuits) : undefined;
        const targets = openCircuitsLast(preferredFirst(ordered, hints), open);
        // A client's preference is its own: no deployment is measured again on its requests.
        const measuring = strategy === 'least-latency' && targets.length > 1 && !hints?.prefer?.length;
        ctx.route = { ...route, targets: measuring ? remeasuring.apply(targets, (t) => health.get(t), open, Date.now()) : targets, reason: `${route.reason}:${strategy}` };
        await next();
      },
    };
  },
});

export { STRATEGIES } from './strategies.js';
export type { Strategy } from './strategies.js';
export type { RoutingHints } from './hints.js';

/**
 * A route is named by where it leads, not by what the client asked: a rule sends any name it
 * matches to its route, and a name per client request would be a cursor each.
 */
function routeKeyOf(route: RouteDecision): string {
  return route.virtualModel ?? route.targets.map((t) => `${t.provider}/${t.model}`).join(',');
}

async function targetsWithHeadroom(targets: readonly RoutedTarget[], headroom: LimitHeadroom): Promise<Set<Target>> {
  const answers = await Promise.all(targets.map((t) => headroom.hasHeadroom(t)));
  return new Set(targets.filter((_, i) => answers[i]));
}

function pickStrategy(hints: RoutingHints | undefined, declared: string | undefined, fallback: Strategy): Strategy {
  const wanted = hints?.strategy ?? declared ?? fallback;
  if ((STRATEGIES as readonly string[]).includes(wanted)) return wanted as Strategy;
  throw invalidRequest(`Unknown routing strategy '${wanted}' (known: ${STRATEGIES.join(', ')}).`, hints?.strategy ? hints.params.strategy : 'model', 'unknown_strategy');
}

function applyHints(targets: RoutedTarget[], hints: RoutingHints | undefined): RoutedTarget[] {
  if (!hints) return targets;
  const kept = hints.exclude ? targets.filter((t) => !hints.exclude!.some((e) => hintMatches(e, t))) : targets;
  if (kept.length === 0) {
    throw invalidRequest(`Every target of this model is excluded (${hints.exclude!.join(', ')}).`, hints.params.exclude, 'no_target_left');
  }
  return kept;
}

/** Targets the client prefers go first, in the strategy's order among themselves. */
function preferredFirst(targets: RoutedTarget[], hints: RoutingHints | undefined): RoutedTarget[] {
  if (!hints?.prefer?.length) return targets;
  const preferred = (t: Target) => (hints.prefer!.some((p) => hintMatches(p, t)) ? 0 : 1);
  return targets.map((t, i) => ({ t, i })).sort((a, b) => preferred(a.t) - preferred(b.t) || a.i - b.i).map((e) => e.t);
}

async function openTargets(targets: readonly RoutedTarget[], circuits: CircuitBreakerState): Promise<Set<Target>> {
  const states = await Promise.all(targets.map((t) => circuits.stateOf(t)));
  return new Set(targets.filter((_, i) => states[i] === 'open'));
}

/** Open circuits last: tried only when nothing else is left. */
function openCircuitsLast(targets: RoutedTarget[], open: ReadonlySet<Target> | undefined): RoutedTarget[] {
  if (!open?.size) return targets;
  const rank = (t: Target) => (open.has(t) ? 1 : 0);
  return targets.map((t, i) => ({ t, i })).sort((a, b) => rank(a.t) - rank(b.t) || a.i - b.i).map((e) => e.t);
}
