/**
 * Gateway keys (when gateway:auth is configured), newest first, fifty a page: create one (its secret shown once, in the answer
 * to that request only), rotate one (its new secret shown the same way), revoke one, edit its budgets, limits and allowed models; what each key
 * spent today and this month against its budget, and what each team spent this month (against the
 * team's budget, where `auth({ teams })` or this page gives it one); give a team a budget, change
 * it, or take back one given here.
 */
import type { Context as KoaContext } from 'koa';
import { invalidRequest, isGatewayError } from 'llm-gateway/plugin';
import { keyAdmin, parseKeyPatch, parseNewKey, parseRotation, parseTeamBudget, type KeyAdmin, type KeyPage } from 'llm-gateway/plugins/auth';
import { usageLogService } from 'llm-gateway/plugins/usage-logger';
import { inBatches } from 'llm-gateway/store';
import { TeamSpend } from './team-spend.js';
import { compact, numberField, readForm, textField, typedForm, type PageKit } from '../kit.js';

export function keyPages(kit: PageKit) {
  const { host } = kit;

  const teamSpend = new TeamSpend(() => host.tryResolve(usageLogService));

  /** `pageCursor`: the page to show, a GET's `?cursor=`, or after an action the page its form was on. */
  async function view(http: KoaContext, extra: Record<string, unknown> = {}, pageCursor: unknown = http.query.cursor) {
    const admin = host.tryResolve(keyAdmin);
    if (!admin) return kit.page(http, 'keys', { title: 'Keys', active: 'keys', auth: false, ...extra });
    const [{ keys, next, cursor, error }, teams] = await Promise.all([pageOf(admin, pageCursor), teamsTable(admin, http.query.teamsFrom, extra.focusTeam)]);
    const rows = await usageInBatches(keys, (key) => admin.usage(key));
    await kit.page(http, 'keys', {
      title: 'Keys',
      active: 'keys',
      auth: true,
      keys: rows,
      olderKeys: next,
      paged: cursor !== undefined,
      cursor,
      ...teams,
      ...(error === undefined ? {} : { error }),
      ...extra,
    });
  }

  /**
   * A page of the Teams table: the teams of this month's log, the busiest first, then those with a
   * budget and no request yet. Spend against a budget is the budget's own count (reserved and
   * settled); requests and cost are the log's, which may be a minute old or not in yet (TeamSpend).
   */
  async function teamsTable(admin: KeyAdmin, from: unknown, focus: unknown) {
    const [spend, stored] = await Promise.all([teamSpend.current(), admin.teams().catch(() => [])]);
    const budgets = new Map(stored.map((t) => [t.team, t]));
    const logged = spend?.state === 'read' ? spend.teams : [];
    const inLog = new Set(logged.map((t) => t.team!));
    const all = [
      ...logged.map((t) => ({ team: t.team!, requests: String(t.requests), cost: `$${t.costUsd.toFixed(4)}` })),
      // None in the log, or (no log) none counted: a log that has not answered yet says nothing.
      ...[...budgets.keys()].filter((team) => !inLog.has(team)).map((team) => (spend === undefined || spend.state === 'read' ? { team, requests: '0', cost: '$0.0000' } : { team, requests: '—', cost: '—' })),
    ];
    // After a change to a team's budget, the page that team is on.
    const focused = typeof focus === 'string' ? all.findIndex((row) => row.team === focus) : -1;
    const start = focused >= 0 ? focused - (focused % TEAMS_PER_PAGE) : pageStart(from, all.length);
    const budgetOf = (team: string) => {
      const t = budgets.get(team);
      if (!t) return undefined;
      const part = (name: 'daily' | 'monthly', limit: number | undefined) => (limit === undefined ? '—' : `$${(t.spentUsd[name] ?? 0).toFixed(4)} / $${limit}`);
      return `${part('daily', t.budget.dailyUsd)} · ${part('monthly', t.budget.monthlyUsd)}`;
    };
    return {
      teams: all.slice(start, start + TEAMS_PER_PAGE).map((row) => ({ ...row, budget: budgetOf(row.team), limits: budgets.get(row.team)?.budget, source: budgets.get(row.team)?.source })),
      teamsPage: { from: start, to: Math.min(all.length, start + TEAMS_PER_PAGE), of: all.length, previous: start > 0 ? Math.max(0, start - TEAMS_PER_PAGE) : undefined, next: start + TEAMS_PER_PAGE < all.length ? start + TEAMS_PER_PAGE : undefined },
      teamSpend: spend === undefined ? undefined : spend.state === 'read' ? { asOf: spend.asOf.toISOString().slice(11, 19), more: spend.more } : spend,
    };
  }

  /** The fields the create and edit forms share; empty ones are left out (or, editing, cleared). */
  function spec(form: URLSearchParams, clearing: boolean) {
    const orNull = <T>(value: T | undefined) => (value === undefined ? (clearing ? null : undefined) : value);
    const limits = compact({ rpm: numberField(form, 'rpm'), tpm: numberField(form, 'tpm') });
    const budget = compact({ dailyUsd: numberField(form, 'dailyUsd'), monthlyUsd: numberField(form, 'monthlyUsd') });
    const models = textField(form, 'models')?.split(',').map((m) => m.trim()).filter(Boolean);
    return {
      ...(textField(form, 'name') ? { name: textField(form, 'name') } : {}),
      team: orNull(textField(form, 'team')),
      expiresAt: orNull(textField(form, 'expiresAt')),
      models: orNull(models && models.length > 0 ? models : undefined),
      limits: orNull(Object.keys(limits).length > 0 ? limits : undefined),
      budget: orNull(Object.keys(budget).length > 0 ? budget : undefined),
    };
  }

  const act = (work: (admin: KeyAdmin, http: KoaContext, form: URLSearchParams) => Promise<Record<string, unknown>>) => async (http: KoaContext) => {
    const form = await readForm(http);
    // A key's forms carry the page they are on, which is shown again after the change; the
    // create and team forms carry none (the newest page).
    const cursor = textField(form, 'cursor');
    const admin = host.tryResolve(keyAdmin);
    if (!admin) return view(http, { error: 'Keys need the gateway:auth plugin.' }, cursor);
    let done: Record<string, unknown>;
    try {
      done = await work(admin, http, form);
    } catch (error) {
      return view(http, { error: (error as Error).message, typed: typedForm(http, form) }, cursor);
    }
    // The change is made: its answer (a new secret, shown only here) reaches the operator even
    // when the page around it cannot be read now.
    await view(http, done, cursor).catch((error: Error) =>
      kit.page(http, 'keys', { title: 'Keys', active: 'keys', auth: true, keys: [], teams: [], ...done, error: `The key list could not be read just now (${error.message}); reload the page to see it.` }),
    );
  };

  return {
    view: (http: KoaContext) => view(http),
    create: act(async (admin, _http, form) => {
      const created = await admin.create(parseNewKey(compact(spec(form, false))));
      return { notice: `Key ${created.key.name} created. Copy its secret now: it is not shown again.`, secret: created.secret };
    }),
    update: act(async (admin, http, form) => {
      const id = String(http.params.id);
      const patch = spec(form, true);
      // The form shows rpm and tpm only: a token bucket's algorithm and burst are kept while rpm is
      // given, and go with it when rpm is cleared (they shape the rpm limit, and the key schema
      // refuses them without one).
      const existing = await admin.get(id);
      const bucket = existing?.limits?.algorithm === 'token-bucket' ? existing.limits : undefined;
      if (patch.limits?.rpm !== undefined && existing?.limits) {
        const { algorithm, burst } = existing.limits;
        patch.limits = compact({ algorithm, burst, ...patch.limits });
      }
      const key = await admin.update(id, parseKeyPatch(patch));
      if (!key) throw invalidRequest(`No key '${String(http.params.id)}'.`);
      // Said, as the form never shows the bucket: the operator cleared a field, not a burst.
      const dropped = bucket && !key.limits?.rpm ? `; its token bucket${bucket.burst === undefined ? '' : ` (a burst of ${bucket.burst})`} went with its rpm limit` : '';
      return { notice: `Key ${key.name} saved${dropped}.` };
    }),
    rotate: act(async (admin, http, form) => {
      const { graceSeconds } = parseRotation({ graceSeconds: numberField(form, 'graceSeconds') ?? 0 });
      const rotated = await admin.rotate(String(http.params.id), graceSeconds);
      if (!rotated) throw invalidRequest(`No key '${String(http.params.id)}'.`);
      const { key, secret } = rotated;
      const old = key.previous ? `its old secret is accepted until ${key.previous.until.slice(0, 16).replace('T', ' ')} UTC` : 'its old secret is refused from now on (on other replicas within the auth cache time)';
      return { notice: `Key ${key.name} has a new secret; ${old}. Copy the new one now: it is not shown again.`, secret, secretLabel: `${key.name}'s new secret` };
    }),
    setTeamBudget: act(async (admin, _http, form) => {
      const team = textField(form, 'team') ?? '';
      const budget = parseTeamBudget(team, { budget: compact({ dailyUsd: numberField(form, 'dailyUsd'), monthlyUsd: numberField(form, 'monthlyUsd') }) });
      await admin.setTeamBudget(team, budget);
      return { focusTeam: team, notice: `Team ${team}'s budget saved: its keys are held to it from now on (on other replicas within the auth cache time).` };
    }),
    removeTeamBudget: act(async (admin, _http, form) => {
      const team = textField(form, 'team') ?? '';
      if (!(await admin.removeTeamBudget(team))) throw invalidRequest(`Team ${team} has no budget given here (a budget in the config is changed there).`);
      return { focusTeam: team, notice: `Team ${team}'s budget given here is taken back${(await admin.teams()).some((t) => t.team === team) ? ": the config's applies again" : ''}.` };
    }),
    revoke: act(async (admin, http) => {
      const key = await admin.revoke(String(http.params.id));
      if (!key) throw invalidRequest(`No key '${String(http.params.id)}'.`);
      return { notice: `Key ${key.name} revoked: requests with it are refused from now on (on other replicas within the auth cache time).` };
    }),
  };
}

/** Keys a page shows, newest first: the page reads each one's usage. */
const KEYS_PER_PAGE = 50;
/** Teams a page shows: each row carries two forms, so a thousand teams made a page of a megabyte. */
const TEAMS_PER_PAGE = 100;

/** Where a page of `count` rows starts: `?teamsFrom=`, or the first page when it is not a row there is. */
function pageStart(from: unknown, count: number): number {
  const start = typeof from === 'string' && /^\d{1,9}$/.test(from) ? Number(from) : 0;
  return start < count ? start - (start % TEAMS_PER_PAGE) : 0;
}

/** The page of keys below `cursor` (the Older keys link's), or the newest when it is absent or not one the page gave out. */
async function pageOf(admin: KeyAdmin, cursor: unknown): Promise<KeyPage & { cursor?: string; error?: string }> {
  if (typeof cursor !== 'string') return admin.page(KEYS_PER_PAGE);
  try {
    return { ...(await admin.page(KEYS_PER_PAGE, cursor)), cursor };
  } catch (error) {
    if (!isGatewayError(error) || error.kind !== 'invalid_request') throw error;
    return { ...(await admin.page(KEYS_PER_PAGE)), error: `${error.message} The newest keys are shown.` };
  }
}

/** Keys whose usage is read at once: each is four counter reads, which on Redis share the connection with requests' key lookups. */
const USAGE_BATCH = 25;

/**
 * The keys with their usage, a batch at a time: keys are made and revoked by the thousand, and
 * reading every one's at once kept requests waiting behind them. A key whose usage the store does
 * not give is shown without it.
 */
function usageInBatches<K, U>(keys: readonly K[], usage: (key: K) => Promise<U>): Promise<Array<K & { usage: U | undefined }>> {
  return inBatches(keys, USAGE_BATCH, async (key) => ({ ...key, usage: await usage(key).catch(() => undefined) }));
}
