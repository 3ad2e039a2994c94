/**
 * Budgets in USD per UTC day and month, a key's own and its team's (over every key of the team),
 * on the store's counters in micro-dollars. A request reserves in both at once, or in neither.
 *
 * Cost is only known after the answer, so each request first reserves an upper estimate (its
 * prompt at the input price plus its `max_tokens` at the output price) with one atomic add per
 * window; if that takes the window over the budget the reservation is taken back and the request
 * refused. When the request ends the reservation is replaced by the actual cost. Parallel requests
 * therefore can never spend more than the budget, give or take what the estimates miss: a request
 * whose actual cost exceeds its reservation is the only way over. A longer answer than `max_tokens`
 * allows cannot happen, but a request without `max_tokens` reserves `reserveOutputTokens` (4,096 by
 * default) and its answer may be longer; a price missing from the table counts as 0. A reservation is only ever made
 * in the shared store: when it does not answer in time the request gets a retryable 503.
 */
import type { Counters, LocalCounters } from 'llm-gateway/store';
import type { KeyBudget } from './keys.js';

const DAY = 86_400_000;

export interface BudgetWindow {
  name: 'daily' | 'monthly';
  /** The team whose budget this is; undefined for the key's own. */
  team?: string;
  counter: string;
  /** The UTC day (`2026-12-05`) or month (`2026-12`) it covers. */
  period: string;
  limitMicros: number;
  ttlMs: number;
  /** When the window resets (ms since the epoch). */
  resetsAt: number;
}

const NO_WINDOWS: readonly BudgetWindow[] = Object.freeze([]);

/** Each owner's windows for the current UTC day, by its budget object: a key that changes gets a new one. */
const windowsByBudget = new WeakMap<KeyBudget, { owner: string; calendar: Calendar; windows: readonly BudgetWindow[] }>();

/**
 * The key's budget windows (UTC day and month) at `now`. Read twice per request (to refuse early,
 * then to reserve), and the same all day: made once a day per key, not per request.
 */
export function budgetWindows(keyId: string, budget: KeyBudget | undefined, now = Date.now()): readonly BudgetWindow[] {
  return windowsOf(keyId, undefined, budget, now);
}

/** A team's budget windows, counted over every key of the team (`budget:team:<team>:<day>`). */
export function teamBudgetWindows(team: string, budget: KeyBudget | undefined, now = Date.now()): readonly BudgetWindow[] {
  return windowsOf(`team:${team}`, team, budget, now);
}

function windowsOf(owner: string, team: string | undefined, budget: KeyBudget | undefined, now: number): readonly BudgetWindow[] {
  if (budget?.dailyUsd === undefined && budget?.monthlyUsd === undefined) return NO_WINDOWS;
  const calendar = calendarAt(now);
  const known = windowsByBudget.get(budget);
  if (known && known.calendar === calendar && known.owner === owner) return known.windows;
  const windows: BudgetWindow[] = [];
  const of = team === undefined ? {} : { team };
  if (budget.dailyUsd !== undefined) {
    windows.push({ name: 'daily', ...of, counter: `budget:${owner}:${calendar.day}`, period: calendar.day, limitMicros: toMicros(budget.dailyUsd), ttlMs: 2 * DAY, resetsAt: calendar.nextDay });
  }
  if (budget.monthlyUsd !== undefined) {
    windows.push({ name: 'monthly', ...of, counter: `budget:${owner}:${calendar.month}`, period: calendar.month, limitMicros: toMicros(budget.monthlyUsd), ttlMs: 32 * DAY, resetsAt: calendar.nextMonth });
  }
  windowsByBudget.set(budget, { owner, calendar, windows });
  return windows;
}

/** Whole seconds until the window resets, at least 1. */
export function resetsInSeconds(window: BudgetWindow, now = Date.now()): number {
  return Math.max(1, Math.ceil((window.resetsAt - now) / 1000));
}

interface Calendar {
  /** UTC `YYYY-MM-DD` and `YYYY-MM` of the day this covers. */
  day: string;
  month: string;
  dayStart: number;
  nextDay: number;
  nextMonth: number;
}

let lastCalendar: Calendar | undefined;

/** The UTC day and month of `now`, worked out once a day rather than for every request (several times each). */
function calendarAt(now: number): Calendar {
  if (lastCalendar && now >= lastCalendar.dayStart && now < lastCalendar.nextDay) return lastCalendar;
  const date = new Date(now);
  const iso = date.toISOString();
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  lastCalendar = {
    day: iso.slice(0, 10),
    month: iso.slice(0, 7),
    dayStart,
    nextDay: dayStart + DAY,
    nextMonth: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
  };
  return lastCalendar;
}

/**
 * Hears, for each window, what it holds once a request has settled (spent, and reserved by requests
 * still running), in micro-dollars. Only passed when someone listens (alerts), so that a settle
 * with nothing to change reads nothing more.
 */
export type SettledReport = (window: BudgetWindow, totalMicros: number) => void;

export type Reservation =
  | { ok: true; /** What was reserved: the most the request can cost. */ micros: number; release: (actualMicros: number, report?: SettledReport) => void | Promise<void> }
  | { ok: false; window: BudgetWindow; spentMicros: number; /** The most the refused request could have cost. */ micros: number };

/** Reserves `micros` in every window, or in none: at once on counters in this process. */
export function reserve(counters: Counters, windows: readonly BudgetWindow[], micros: number): Reservation | Promise<Reservation> {
  return counters.local ? reserveNow(counters.local, windows, micros) : reserveShared(counters, windows, micros);
}

const EXACTLY_ONCE = { exactlyOnce: true } as const;

async function reserveShared(counters: Counters, windows: readonly BudgetWindow[], micros: number): Promise<Reservation> {
  // Every window at once (one round trip on a shared store); all are given back if one refuses.
  // Exact: when the shared store does not answer, the request is refused (503) rather than
  // counted in this process, where replicas could not see it and together spend past the budget.
  const adds = await Promise.allSettled(windows.map((window) => counters.add(window.counter, micros, window.ttlMs, { exact: true })));
  // Money given back or settled counts once, even through a connection that dies on the way (`exactlyOnce`).
  const giveBack = () => Promise.all(windows.filter((_, i) => adds[i]!.status === 'fulfilled').map((w) => counters.add(w.counter, -micros, w.ttlMs, EXACTLY_ONCE)));
  const failure = adds.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  if (failure) {
    await giveBack();
    throw failure.reason;
  }
  const totals = adds.map((a) => (a as PromiseFulfilledResult<number>).value);
  // Already spent to the limit: refused even for a request that reserves nothing.
  const refused = windows.findIndex((window, i) => totals[i]! > window.limitMicros || (micros === 0 && totals[i]! >= window.limitMicros));
  if (refused >= 0) {
    await giveBack();
    return { ok: false, window: windows[refused]!, spentMicros: totals[refused]! - micros, micros };
  }
  let released = false;
  return {
    ok: true,
    micros,
    release: async (actualMicros, report) => {
      if (released) return;
      released = true;
      const difference = actualMicros - micros;
      // Unchanged, the totals the reservation saw are the nearest known without another round trip.
      const settled = difference === 0 ? totals : await Promise.all(windows.map((w) => counters.add(w.counter, difference, w.ttlMs, EXACTLY_ONCE)));
      if (report) windows.forEach((window, i) => report(window, settled[i]!));
    },
  };
}

/** `reserve` on counters in this process: the same steps, each answered at once. */
function reserveNow(counters: LocalCounters, windows: readonly BudgetWindow[], micros: number): Reservation {
  for (const [index, window] of windows.entries()) {
    const total = counters.addNow(window.counter, micros, window.ttlMs);
    if (total > window.limitMicros || (micros === 0 && total >= window.limitMicros)) {
      for (const taken of windows.slice(0, index + 1)) counters.addNow(taken.counter, -micros, taken.ttlMs);
      return { ok: false, window, spentMicros: total - micros, micros };
    }
  }
  let released = false;
  return {
    ok: true,
    micros,
    release: (actualMicros, report) => {
      if (released) return;
      released = true;
      const difference = actualMicros - micros;
      for (const w of windows) {
        const total = difference === 0 ? (report ? counters.getNow(w.counter) : 0) : counters.addNow(w.counter, difference, w.ttlMs);
        report?.(w, total);
      }
    },
  };
}

/**
 * The first window already spent to its limit, if any: read, not reserved, since it only refuses
 * early what the reservation (exact, later) would refuse anyway. A read that a shared store does
 * not answer in time counts what this process knows, rather than refusing the request.
 */
export async function exhaustedWindow(counters: Counters, windows: readonly BudgetWindow[]): Promise<BudgetWindow | undefined> {
  if (counters.local) return exhaustedWindowNow(counters.local, windows);
  const totals = await Promise.all(windows.map((w) => counters.get(w.counter)));
  return windows.find((window, i) => totals[i]! >= window.limitMicros);
}

/** `exhaustedWindow` on counters in this process, without a promise. */
export function exhaustedWindowNow(counters: LocalCounters, windows: readonly BudgetWindow[]): BudgetWindow | undefined {
  return windows.find((window) => counters.getNow(window.counter) >= window.limitMicros);
}

/** What the key has spent in each window, for the admin API. */
export async function spent(counters: Counters, windows: readonly BudgetWindow[]): Promise<Record<string, number>> {
  const entries = await Promise.all(windows.map(async (w) => [w.name, fromMicros(await counters.get(w.counter))] as const));
  return Object.fromEntries(entries);
}

export function toMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function fromMicros(micros: number): number {
  return micros / 1_000_000;
}
