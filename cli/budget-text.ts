import type { KeyBudget } from '../plugins/auth/keys.js';

/** A key's or a team's budget as the CLI prints it: `daily=$5  monthly=$100`, or '' for none. */
export function describeBudget(budget: KeyBudget): string {
  const parts: string[] = [];
  if (budget.dailyUsd !== undefined) parts.push(`daily=$${budget.dailyUsd}`);
  if (budget.monthlyUsd !== undefined) parts.push(`monthly=$${budget.monthlyUsd}`);
  return parts.join('  ');
}
