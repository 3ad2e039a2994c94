/**
 * The Keys page's team figures (plugins/dashboard/pages/team-spend.ts): a month of the log read
 * once and shared, a page that does not wait long for them, and a log that did not answer asked
 * again by the next page.
 */
import { describe, expect, it } from 'vitest';
import { TeamSpend } from '../../../plugins/dashboard/pages/team-spend.js';
import type { UsageAggregate, UsageLog, UsageQuery } from '../../../plugins/usage-logger/index.js';

function fakeLog(answer: (query: UsageQuery) => Promise<UsageAggregate[]>) {
  const queries: UsageQuery[] = [];
  const log = { aggregate: (query: UsageQuery) => (queries.push(query), answer(query)) } as unknown as UsageLog;
  return { log, queries };
}

const team = (name: string | null, requests: number) => ({ team: name, requests, costUsd: requests / 1000 }) as UsageAggregate;

describe('TeamSpend', () => {
  it('reads the month once for the pages that ask within a minute, with a bound on the teams', async () => {
    const { log, queries } = fakeLog(async () => [team('a', 5), team(null, 3), team('b', 1)]);
    const spend = new TeamSpend(() => log);
    const first = await spend.current();
    const second = await spend.current();
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatchObject({ groupBy: ['team'], maxGroups: 10_002 });
    expect(queries[0]!.from.getUTCDate()).toBe(1);
    expect(first).toMatchObject({ state: 'read', more: false });
    expect(first?.state === 'read' && first.teams.map((t) => t.team)).toEqual(['a', 'b']);
    expect(second).toEqual(first);
  });

  it('lets a page go on without figures still being read, and gives them to the next page', async () => {
    let answer: (rows: UsageAggregate[]) => void = () => undefined;
    const { log, queries } = fakeLog(() => new Promise((resolve) => (answer = resolve)));
    const spend = new TeamSpend(() => log, 20);
    expect(await spend.current()).toEqual({ state: 'reading' });
    answer([team('a', 1)]);
    expect(await spend.current()).toMatchObject({ state: 'read' });
    expect(queries).toHaveLength(1);
  });

  it('says when the log did not answer, and asks it again on the next page', async () => {
    let refuse = true;
    const { log, queries } = fakeLog(async () => {
      if (refuse) throw Object.assign(new Error('The usage log is busy with other queries.'), { status: 503 });
      return [team('a', 1)];
    });
    const spend = new TeamSpend(() => log);
    expect(await spend.current()).toEqual({ state: 'unanswered', reason: 'The usage log is busy with other queries.' });
    refuse = false;
    expect(await spend.current()).toMatchObject({ state: 'read' });
    expect(queries).toHaveLength(2);
  });

  it('says that only the busiest teams are there when the log names more than it reads', async () => {
    const { log } = fakeLog(async (query) => Array.from({ length: query.maxGroups! }, (_, i) => team(`t${i}`, 1)));
    const figures = await new TeamSpend(() => log).current();
    expect(figures).toMatchObject({ state: 'read', more: true });
    expect(figures?.state === 'read' && figures.teams).toHaveLength(10_000);
  });

  it('has nothing to say without a usage log', async () => {
    expect(await new TeamSpend(() => undefined).current()).toBeUndefined();
  });
});
