/**
 * What budgets say to listeners (alerts, a plugin of yours): after a request settles, what each of
 * its budget windows holds; when a request is refused for a budget, which window refused it. Made
 * only when someone listens, so a gateway without listeners builds nothing per request.
 */
import type { EventBus } from 'llm-gateway/plugin';
import { fromMicros, type BudgetWindow, type SettledReport } from './budget.js';
import type { CallerKey } from './index.js';

/** One budget window as a request left it. */
export interface BudgetState {
  /** The key whose request it was. */
  readonly key: CallerKey;
  /** Whose budget the window is: the key's own, or its team's (`auth({ teams })`). */
  readonly owner: { readonly kind: 'key'; readonly id: string; readonly name: string } | { readonly kind: 'team'; readonly team: string };
  readonly window: 'daily' | 'monthly';
  /** The UTC day (`2026-12-05`) or month (`2026-12`) the window covers; with the owner, it names the window. */
  readonly period: string;
  readonly limitUsd: number;
  /** When the window resets (ms since the epoch): UTC midnight, or the 1st of the next month. */
  readonly resetsAt: number;
}

export interface BudgetSpend extends BudgetState {
  /** What the window holds now: spent, and reserved by requests still running. */
  readonly totalUsd: number;
}

export interface BudgetRefusal extends BudgetState {
  /** What the window held when it refused, where it was read (a refusal before any work only knows it was spent). */
  readonly totalUsd?: number;
}

declare module 'llm-gateway/plugin' {
  interface GatewayEvents {
    /** A request of a key with a budget settled its cost: what each of its windows (the key's, its team's) holds now. */
    'budget:spend': [spend: BudgetSpend];
    /** A request was refused (402) by a budget window of its key or team: spent, or with less left than the request could cost. */
    'budget:refusal': [refusal: BudgetRefusal];
  }
}

function stateOf(key: CallerKey, window: BudgetWindow): BudgetState {
  return {
    key,
    owner: window.team === undefined ? { kind: 'key', id: key.id, name: key.name } : { kind: 'team', team: window.team },
    window: window.name,
    period: window.period,
    limitUsd: fromMicros(window.limitMicros),
    resetsAt: window.resetsAt,
  };
}

/** A settle's report to `budget:spend`, or undefined when nobody listens. */
export function spendReporter(events: EventBus, key: CallerKey): SettledReport | undefined {
  if (!events.has('budget:spend')) return undefined;
  return (window, totalMicros) => events.emit('budget:spend', { ...stateOf(key, window), totalUsd: fromMicros(totalMicros) });
}

/** Tells `budget:refusal` listeners, if any, which window refused a request. */
export function reportRefusal(events: EventBus, key: CallerKey, window: BudgetWindow, totalMicros?: number): void {
  if (!events.has('budget:refusal')) return;
  events.emit('budget:refusal', { ...stateOf(key, window), ...(totalMicros === undefined ? {} : { totalUsd: fromMicros(totalMicros) }) });
}
