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
import { withinMs } from 'llm-gateway/store';
import { SharedFigures } from '../shared-figures.js';

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

export class TeamSpend {
  /** This month's, once the log answered; a new month's drops the last. */
  private readonly shared = new SharedFigures<Answered>((figures) => (figures.state === 'read' ? SHARE_MS : 0), 1);

  constructor(
    private readonly log: () => UsageLog | undefined,
    private readonly waitMs = PAGE_WAIT_MS,
  ) {}

  /** This month's figures, or what keeps them from the page; undefined without a usage log. */
  async current(): Promise<TeamSpendFigures | undefined> {
    const log = this.log();
    if (!log) return undefined;
    const now = new Date();
    const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    // `read` never fails (a log that did not answer is a state): only the wait can.
    const figures = this.shared.of(String(month), () => read(log, new Date(month), now));
    return withinMs(this.waitMs, figures).catch((): TeamSpendFigures => ({ state: 'reading' }));
  }
}

type Answered = TeamSpendFigures & { state: 'read' | 'unanswered' };

async function read(log: UsageLog, from: Date, to: Date): Promise<Answered> {
  try {
    // Two past the bound: one group may be the records without a team.
    const groups = await log.aggregate({ from, to, groupBy: ['team'], maxGroups: MAX_TEAMS_READ + 2 });
    const teams = groups.filter((group) => group.team);
    return { state: 'read', teams: teams.slice(0, MAX_TEAMS_READ), asOf: to, more: teams.length > MAX_TEAMS_READ };
  } catch (error) {
    return { state: 'unanswered', reason: error instanceof Error ? error.message : String(error) };
  }
}
