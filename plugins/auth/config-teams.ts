/** The team budgets of `auth({ teams })`: read by the plugin, and by `llm-gateway teams` off the config. */
import type { KeyBudget } from './keys.js';

/** The teams that have a budget: a team named without one is held to nothing. */
export function configTeamBudgets(teams: Readonly<Record<string, { budget?: KeyBudget }>> | undefined): ReadonlyMap<string, KeyBudget> {
  return new Map(Object.entries(teams ?? {}).flatMap(([team, { budget }]) => (budget ? [[team, budget] as const] : [])));
}
