/**
 * What each team spent this month, from the usage log, for the Keys page's Teams table.
 *
 * The query groups a month of records by team: seconds on a log of millions of rows, and it takes
 * the log's one reader slot (plugins/usage-logger/log/bounded-reads.ts) while it runs. The Keys
 * page is made again after every key action, so the figures are shared for a minute after they
 * are in, and while they are read; a page waits for them only briefly, and says when they are
 * still being read or the log did not answer, rather than keeping the key list (or a new key's
 * secret, shown only once) waiting on them or failing with them.
 */
import type { UsageAggregate, UsageLog } from 'llm-gateway/plugins/usage-logger';

/** The figures are shared this long after they are in: a month-to-date total a minute old says as much. */
const SHARE_MS = 60_000;
/** A page waits this long for figures being read, then shows the rest without them. */
const PAGE_WAIT_MS = 1_000;
/** Teams read, the busiest first: a page shows a hundred at a time, and the log may name any number. */
export const MAX_TEAMS_READ = 10_000;

export type TeamSpendFigures =
  | { state: 'read'; teams: readonly UsageAggregate[]; asOf: Date; more: boolean }
  | { state: 'reading' }
  | { state: 'unanswered'; reason: string };

interface Shared {
  month: number;
  until: number;
  figures: Promise<TeamSpendFigures & { state: 'read' | 'unanswered' }>;
}

export class TeamSpend {
  private shared: Shared | undefined;

  constructor(
    private readonly log: () => UsageLog | undefined,
    private readonly waitMs = PAGE_WAIT_MS,
  ) {}

  /** This month's figures, or what keeps them from the page; undefined without a usage log. */
  async current(): Promise<TeamSpendFigures | undefined> {
    const log = this.log();
    if (!log) return undefined;
    const figures = this.figures(log);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<TeamSpendFigures>((resolve) => (timer = setTimeout(() => resolve({ state: 'reading' }), this.waitMs)));
    try {
      return await Promise.race([figures, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  private figures(log: UsageLog): Shared['figures'] {
    const now = new Date();
    const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const hit = this.shared;
    if (hit && hit.month === month && hit.until > now.getTime()) return hit.figures;
    const shared: Shared = { month, until: Infinity, figures: read(log, new Date(month), now) };
    this.shared = shared;
    void shared.figures.then((figures) => {
      // A log that did not answer is asked again by the next page; figures read are kept a while.
      if (figures.state === 'read') shared.until = Date.now() + SHARE_MS;
      else if (this.shared === shared) this.shared = undefined;
    });
    return shared.figures;
  }
}

async function read(log: UsageLog, from: Date, to: Date): Promise<TeamSpendFigures & { state: 'read' | 'unanswered' }> {
  try {
    // Two past the bound: one group may be the records without a team.
    const groups = await log.aggregate({ from, to, groupBy: ['team'], maxGroups: MAX_TEAMS_READ + 2 });
    const teams = groups.filter((group) => group.team);
    return { state: 'read', teams: teams.slice(0, MAX_TEAMS_READ), asOf: to, more: teams.length > MAX_TEAMS_READ };
  } catch (error) {
    return { state: 'unanswered', reason: error instanceof Error ? error.message : String(error) };
  }
}
