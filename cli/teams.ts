/**
 * `llm-gateway teams list|set|remove`: team budgets given while running, straight in the configured
 * store, as `PUT`/`DELETE /admin/teams/:team` and the dashboard give them, so it works whether or
 * not a gateway is running (a running one holds a team to a change within its key cache time, a
 * second at least). Budgets in the config (`auth({ teams })`) are changed there, not here.
 */
import { loadConfigFile } from '../core/config/load-config.js';
import { DEFAULT_STORE } from '../core/config/resolve-config.js';
import { silentLogger } from '../core/logger.js';
import { openStore } from '../core/store/store.js';
import { parseTeamBudget } from '../plugins/auth/key-spec.js';
import { TeamBudgets, type TeamBudget } from '../plugins/auth/team-budgets.js';
import { numberFlag } from './flags.js';
import { refuseMemoryStore } from './memory-store.js';
import { fail, print } from './output.js';

export interface TeamsOptions {
  action: string | undefined;
  team: string | undefined;
  config: string | undefined;
  dailyUsd: string | undefined;
  monthlyUsd: string | undefined;
  json: boolean;
}

const USAGE = 'usage: llm-gateway teams list [--json] | teams set TEAM [--daily-usd N] [--monthly-usd N] | teams remove TEAM';

export async function teamsCommand(options: TeamsOptions): Promise<number> {
  const loaded = await loadConfigFile(options.config);
  const url = typeof loaded.config.store === 'string' ? loaded.config.store : DEFAULT_STORE;
  const refused = refuseMemoryStore(url, 'teams');
  if (refused !== undefined) return refused;
  const store = await openStore(url, silentLogger, { saveCounters: false });
  const teams = new TeamBudgets(store, new Map(), silentLogger);
  try {
    await teams.refresh();
    switch (options.action) {
      case 'list': {
        const list = teams.list();
        if (options.json) return print(JSON.stringify(list, null, 2));
        if (list.length === 0) return print('no team budgets given while running (those in the config are not listed here)');
        return print(list.map(describe).join('\n'));
      }
      case 'set': {
        if (!options.team) return fail(`${USAGE}\n(teams set needs a team)`);
        const budget = parseTeamBudget(options.team, { budget: dollars(options) });
        const set = await teams.set(options.team, budget);
        return print(options.json ? JSON.stringify(set, null, 2) : `${describe(set)}\n(a running gateway holds the team to it within its key cache time)`);
      }
      case 'remove': {
        if (!options.team) return fail(`${USAGE}\n(teams remove needs a team)`);
        if (!(await teams.remove(options.team))) return fail(`no budget was given to team ${options.team} while running`);
        return print(`removed the budget given to team ${options.team} (a budget in the config applies again)`);
      }
      default:
        return fail(USAGE);
    }
  } finally {
    await store.close();
  }
}

function dollars(options: TeamsOptions): { dailyUsd?: number; monthlyUsd?: number } {
  const dailyUsd = numberFlag(options.dailyUsd, 'daily-usd');
  const monthlyUsd = numberFlag(options.monthlyUsd, 'monthly-usd');
  return { ...(dailyUsd === undefined ? {} : { dailyUsd }), ...(monthlyUsd === undefined ? {} : { monthlyUsd }) };
}

function describe(team: TeamBudget): string {
  const parts = [team.team];
  if (team.budget.dailyUsd !== undefined) parts.push(`daily=$${team.budget.dailyUsd}`);
  if (team.budget.monthlyUsd !== undefined) parts.push(`monthly=$${team.budget.monthlyUsd}`);
  return parts.join('  ');
}
