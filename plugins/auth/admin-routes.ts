/**
 * `/admin/keys`: create (the secret is in this answer only), list (a page at a time, newest first), show with what it has spent,
 * change (models, limits, budgets), rotate (a new secret, in that answer only) and revoke; and
 * `/admin/teams`: each team given a budget, with what its keys have spent against it, and
 * `PUT`/`DELETE /admin/teams/:team` to give one a budget while running, or take it back. The door (the auth plugin's gate) has already checked the admin key.
 */
import { type PluginHost, invalidRequest, notFound, readJsonBody } from 'llm-gateway/plugin';
import { inBatches, type Store } from 'llm-gateway/store';
import { budgetWindows, spent, teamBudgetWindows } from './budget.js';
import { parseKeyPatch, parseNewKey, parseRotation, parseTeamBudget } from './key-spec.js';
import type { KeyStore, KeyView } from './keys.js';
import type { TeamBudget, TeamBudgets } from './team-budgets.js';
import { windowCount } from './limits.js';

/** What a key has spent in its budget windows, and used in the last minute. */
export interface KeyUsage {
  spentUsd: Record<string, number>;
  lastMinute: { requests: number; tokens: number };
}

export async function keyUsage(store: Store, key: KeyView): Promise<KeyUsage> {
  const [spentUsd, rpm, tpm] = await Promise.all([
    spent(store.counters, budgetWindows(key.id, key.budget)),
    windowCount(store.counters, `rpm:${key.id}`),
    windowCount(store.counters, `tpm:${key.id}`),
  ]);
  return { spentUsd, lastMinute: { requests: Math.round(rpm), tokens: Math.round(tpm) } };
}

/** A team with a budget (`auth({ teams })`, or set while running), and what its keys have spent in each window. */
export interface TeamUsage extends TeamBudget {
  spentUsd: Record<string, number>;
}

/** Teams whose spend is read at once: two counter reads each, on the connection requests' budgets share (up to 1,000 stored teams and the config's). */
const TEAM_BATCH = 50;

export function teamUsage(store: Store, teams: readonly TeamBudget[]): Promise<TeamUsage[]> {
  return inBatches(teams, TEAM_BATCH, async (team) => ({ ...team, spentUsd: await spent(store.counters, teamBudgetWindows(team.team, team.budget)) }));
}

export function addKeyRoutes(host: PluginHost, keys: KeyStore, teams: TeamBudgets): void {
  const { store } = host;
  host.route({
    method: 'GET',
    path: '/admin/teams',
    handler: async (http) => {
      http.body = { object: 'list', data: await teamUsage(store, teams.list()) };
    },
  });
  host.route({
    method: 'PUT',
    path: '/admin/teams/:team',
    handler: async (http) => {
      const team = String(http.params.team);
      const set = await teams.set(team, parseTeamBudget(team, await readJsonBody(http.req, 64 * 1024)));
      // Saved: a spend the store does not answer for now is left out rather than failing the change.
      http.body = (await teamUsage(store, [set]).catch(() => undefined))?.[0] ?? set;
    },
  });
  host.route({
    method: 'DELETE',
    path: '/admin/teams/:team',
    handler: async (http) => {
      const team = String(http.params.team);
      if (!(await teams.remove(team))) throw notFound(`No budget was set for team '${team}' through the admin API (a budget in the config is changed there).`, 'team_budget_not_found');
      // What holds for the team now: the config's budget for it, or none.
      http.body = { team, deleted: true, inForce: teams.list().find((t) => t.team === team)?.budget ?? null };
    },
  });
  host.route({
    method: 'PATCH',
    path: '/admin/keys/:id',
    handler: async (http) => {
      const key = await keys.update(String(http.params.id), parseKeyPatch(await readJsonBody(http.req, 1024 * 1024)));
      if (!key) throw notFound(`No key '${String(http.params.id)}'.`, 'key_not_found');
      http.body = key;
    },
  });
  host.route({
    method: 'POST',
    path: '/admin/keys',
    handler: async (http) => {
      const spec = parseNewKey(await readJsonBody(http.req, 1024 * 1024));
      const { key, secret } = await keys.create(spec);
      http.status = 201;
      http.body = { ...key, secret };
    },
  });
  host.route({
    method: 'POST',
    path: '/admin/keys/:id/rotate',
    handler: async (http) => {
      const { graceSeconds } = parseRotation(await readJsonBody(http.req, 64 * 1024).catch(noBodyIsEmpty));
      const rotated = await keys.rotate(String(http.params.id), graceSeconds);
      if (!rotated) throw notFound(`No key '${String(http.params.id)}'.`, 'key_not_found');
      http.body = { ...rotated.key, secret: rotated.secret };
    },
  });
  host.route({
    method: 'GET',
    path: '/admin/keys',
    handler: async (http) => {
      const { limit, cursor } = listQuery(http.query);
      const page = await keys.page(limit, cursor);
      http.body = { object: 'list', data: page.keys, has_more: page.next !== undefined, next_cursor: page.next ?? null };
    },
  });
  host.route({
    method: 'GET',
    path: '/admin/keys/:id',
    handler: async (http) => {
      const key = await keys.get(String(http.params.id));
      if (!key) throw notFound(`No key '${String(http.params.id)}'.`, 'key_not_found');
      http.body = { ...key, usage: await keyUsage(store, key) };
    },
  });
  host.route({
    method: 'DELETE',
    path: '/admin/keys/:id',
    handler: async (http) => {
      const key = await keys.revoke(String(http.params.id));
      if (!key) throw notFound(`No key '${String(http.params.id)}'.`, 'key_not_found');
      http.body = key;
    },
  });
}

/** Keys a page of `GET /admin/keys` holds unless `limit` says otherwise. */
const PAGE_SIZE = 100;

/** `?limit&cursor` of `GET /admin/keys`, each given once. */
function listQuery(query: Record<string, string | string[] | undefined>): { limit: number; cursor?: string } {
  for (const name of ['limit', 'cursor']) {
    if (Array.isArray(query[name])) throw invalidRequest(`${name} may be given once.`, name);
  }
  // The key store refuses a limit or cursor that is not one.
  const limit = query.limit === undefined ? PAGE_SIZE : Number(query.limit);
  return query.cursor === undefined ? { limit } : { limit, cursor: String(query.cursor) };
}

/** A rotation may come without a body, or with an empty one (no grace period). */
function noBodyIsEmpty(error: unknown): Record<string, unknown> {
  if ((error as { code?: unknown }).code === 'empty_body') return {};
  throw error;
}
