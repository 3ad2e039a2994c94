/**
 * `llm-gateway teams list|set|remove`: team budgets given while running are given and taken back
 * straight in the configured store, as `PUT`/`DELETE /admin/teams/:team` and the dashboard give them, so it works whether or
 * not a gateway is running (a running one holds a team to a change within its key cache time, a
 * second at least). `list` shows the config's budgets (`auth({ teams })`) too, as the gateway holds
 * teams to them; those are changed in the config, so `remove` refuses them (a budget `set` here wins
 * over the config's for its team until removed).
 */
import { loadConfigFile } from '../core/config/load-config.js';
import { DEFAULT_STORE } from '../core/config/resolve-config.js';
import { silentLogger } from '../core/logger.js';
import { openStore } from '../core/store/store.js';
import { parseTeamBudget } from '../plugins/auth/key-spec.js';
import type { KeyBudget } from '../plugins/auth/keys.js';
import { TeamBudgets, type TeamBudget } from '../plugins/auth/team-budgets.js';
import { describeBudget } from './budget-text.js';
import { configTeamsIn } from './config-teams.js';
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
  const fromConfig = configTeamsIn(loaded.config);
  // A plugin made by an older copy of auth does not tell its teams: say so rather than list none.
  if (fromConfig === undefined) process.stderr.write("note: the config's auth plugin does not tell its teams (an older llm-gateway made it): budgets in the config are not shown\n");
  const configured = fromConfig ?? new Map<string, KeyBudget>();
  const store = await openStore(url, silentLogger, { saveCounters: false });
  const teams = new TeamBudgets(store, configured, silentLogger);
  try {
    await teams.refresh();
    switch (options.action) {
      case 'list': {
        const list = teams.list().map((team) => overriding(team, configured));
        if (options.json) return print(JSON.stringify(list, null, 2));
        if (list.length === 0) return print('no team budgets given while running, and none in the config');
        return print(list.map((team) => `${describe(team)}  (${origin(team)})`).join('\n'));
      }
      case 'set': {
        if (!options.team) return fail(`${USAGE}\n(teams set needs a team)`);
        const budget = parseTeamBudget(options.team, { budget: dollars(options) });
        const set = overriding(await teams.set(options.team, budget), configured);
        if (options.json) return print(JSON.stringify(set, null, 2));
        const over = set.configBudget ? `  (over the config's ${describeBudget(set.configBudget)} until \`teams remove ${set.team}\`)` : '';
        return print(`${describe(set)}${over}\n(a running gateway holds the team to it within its key cache time)`);
      }
      case 'remove': {
        if (!options.team) return fail(`${USAGE}\n(teams remove needs a team)`);
        const inForce = teams.list().find((team) => team.team === options.team);
        // Checked before any write: a config team's budget is the config's to change.
        if (inForce?.source === 'config') {
          return fail(
            `team ${inForce.team}'s budget (${describeBudget(inForce.budget)}) is given in the config (${loaded.filepath}), under the auth plugin's teams: ` +
              'change or remove it there (teams remove takes back only a budget given while running)',
          );
        }
        if (!(await teams.remove(options.team))) return fail(`no budget was given to team ${options.team} while running`);
        const config = configured.get(options.team);
        return print(`removed the budget given to team ${options.team} while running; ${config ? `the config's budget for team ${options.team} applies again: ${describeBudget(config)}` : 'the team has no budget now'}`);
      }
      default:
        return fail(USAGE);
    }
  } finally {
    await store.close();
  }
}

/** A team budget, with the config's budget it wins over when it was given while running for a config team. */
type ListedTeam = TeamBudget & { configBudget?: KeyBudget };

function overriding(team: TeamBudget, configured: ReadonlyMap<string, KeyBudget>): ListedTeam {
  const config = team.source === 'admin' ? configured.get(team.team) : undefined;
  return config ? { ...team, configBudget: config } : team;
}

function origin(team: ListedTeam): string {
  if (team.source === 'config') return 'config';
  return team.configBudget ? `given while running, over the config's ${describeBudget(team.configBudget)}` : 'given while running';
}

function dollars(options: TeamsOptions): { dailyUsd?: number; monthlyUsd?: number } {
  const dailyUsd = numberFlag(options.dailyUsd, 'daily-usd');
  const monthlyUsd = numberFlag(options.monthlyUsd, 'monthly-usd');
  return { ...(dailyUsd === undefined ? {} : { dailyUsd }), ...(monthlyUsd === undefined ? {} : { monthlyUsd }) };
}

function describe(team: TeamBudget): string {
  return `${team.team}  ${describeBudget(team.budget)}`;
}
