/**
 * Budget alerts: when a key's or a team's window reaches a threshold (spent, and reserved by
 * requests in flight), once a window, the highest it has reached; when a window first refuses a
 * request, once a window for a spent window and once for a request that could cost more than is
 * left. Heard on `gateway:auth`'s events, so nothing waits for them on a request's path.
 */
import type { EventBus } from 'llm-gateway/plugin';
import type { BudgetRefusal, BudgetSpend, BudgetState } from 'llm-gateway/plugins/auth';
import type { FirstClaim } from './first-claim.js';
import type { Alert, BudgetAlert } from './messages.js';

export function watchBudgets(
  events: EventBus,
  budgets: { thresholds: number[]; refusals: boolean },
  claims: FirstClaim,
  raiseOnce: (name: string, until: number, alert: () => Alert) => void,
): void {
  const thresholds = [...budgets.thresholds].sort((a, b) => b - a);
  if (thresholds.length > 0) {
    events.on('budget:spend', (spend: BudgetSpend) => {
      // A request that settles after its window reset has nothing to tell about the window.
      if (spend.resetsAt <= Date.now()) return;
      // In micro-dollars, as the budget counts: $2.40 of $3 is 80 %, not 79.99…
      const reached = thresholds.findIndex((threshold) => Math.round(spend.totalUsd * 1e6) >= Math.round(threshold * spend.limitUsd * 1e6));
      if (reached < 0) return;
      const until = spend.resetsAt;
      raiseOnce(`budget:${windowName(spend)}:${thresholds[reached]}`, until, () => budgetAlert('budget.threshold', spend, thresholds[reached]));
      // Those below it are spent too: no replica should tell them after the higher one.
      for (const lower of thresholds.slice(reached + 1)) void claims.claim(`budget:${windowName(spend)}:${lower}`, until).catch(() => undefined);
    });
  }
  if (budgets.refusals) {
    events.on('budget:refusal', (refusal: BudgetRefusal) => {
      // Spent (or reserved) to its limit, or only too little left for this request's most
      // expensive outcome: told apart, each once a window, so the first does not hide the second.
      const exhausted = refusal.totalUsd === undefined || Math.round(refusal.totalUsd * 1e6) >= Math.round(refusal.limitUsd * 1e6);
      raiseOnce(`budget:${windowName(refusal)}:${exhausted ? 'refused' : 'refused-short'}`, refusal.resetsAt, () => budgetAlert('budget.refused', refusal, undefined, exhausted));
    });
  }
}

/**
 * A window's name for its claims: its owner, its period and its limit. A budget raised (or taken
 * back and given again) in the same period is a new budget whose 80 % and refusal are news.
 */
function windowName(state: BudgetState): string {
  return `${state.owner.kind === 'key' ? state.owner.id : `team:${state.owner.team}`}:${state.window}:${state.period}:${Math.round(state.limitUsd * 1e6)}`;
}

function budgetAlert(type: BudgetAlert['type'], state: BudgetState & { totalUsd?: number }, threshold?: number, exhausted?: boolean): Alert {
  return {
    type,
    ...(exhausted === undefined ? {} : { exhausted }),
    owner: state.owner,
    window: state.window,
    period: state.period,
    limitUsd: state.limitUsd,
    ...(state.totalUsd === undefined ? {} : { totalUsd: state.totalUsd }),
    ...(threshold === undefined ? {} : { threshold }),
    resetsAt: new Date(state.resetsAt).toISOString(),
    at: new Date().toISOString(),
  };
}
