/**
 * Before its fix `llm-gateway teams list` listed only the team budgets given while running: a team
 * the config gives a budget (`auth({ teams })`), which the gateway holds its keys to all the same,
 * was missing, and with only such teams an operator read "no team budgets given while running
 * (those in the config are not listed here)". `teams remove` of such a team said only "no budget
 * was given to team … while running", not where its budget comes from.
 *
 * Now `teams list` shows every team budget in force, each marked with where it comes from: the
 * config's (from a JSON `["gateway:auth", { teams }]` entry or an `auth({ teams })` plugin made in
 * a JavaScript config) and those given while running, which win over the config's for their team.
 * `teams remove` of a config team refuses and says to change it in the config.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

let dir: string;
let json: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-teams-config-'));
  json = join(dir, 'gateway.config.json');
  writeFileSync(
    json,
    JSON.stringify({
      store: `sqlite://${join(dir, 'state', 'gateway.sqlite')}`,
      plugins: [['gateway:auth', { teams: { search: { budget: { monthlyUsd: 400 } }, batch: { budget: { dailyUsd: 5 } }, unbudgeted: {} } }]],
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("lists the config's team budgets beside those given while running, marked by where they come from", () => {
  const listed = runCli(['teams', 'list', '--json', '--config', json]);
  expect(listed.stderr).toBe('');
  expect(JSON.parse(listed.stdout)).toEqual([
    { team: 'search', budget: { monthlyUsd: 400 }, source: 'config' },
    { team: 'batch', budget: { dailyUsd: 5 }, source: 'config' },
  ]);
  expect(runCli(['teams', 'list', '--config', json]).stdout).toBe('search  monthly=$400  (config)\nbatch  daily=$5  (config)\n');

  // A budget given while running wins over the config's for its team, and the list says over what.
  expect(runCli(['teams', 'set', 'search', '--monthly-usd', '50', '--config', json]).stdout).toContain("over the config's monthly=$400");
  expect(runCli(['teams', 'set', 'infra', '--daily-usd', '2', '--config', json]).status).toBe(0);
  expect(JSON.parse(runCli(['teams', 'list', '--json', '--config', json]).stdout)).toEqual([
    { team: 'search', budget: { monthlyUsd: 50 }, source: 'admin', configBudget: { monthlyUsd: 400 } },
    { team: 'batch', budget: { dailyUsd: 5 }, source: 'config' },
    { team: 'infra', budget: { dailyUsd: 2 }, source: 'admin' },
  ]);
  expect(runCli(['teams', 'list', '--config', json]).stdout).toBe(
    "search  monthly=$50  (given while running, over the config's monthly=$400)\nbatch  daily=$5  (config)\ninfra  daily=$2  (given while running)\n",
  );

  // Taking back the one given while running: the config's applies again, and the answer says which.
  const removed = runCli(['teams', 'remove', 'search', '--config', json]);
  expect(removed.stdout).toContain("the config's budget for team search applies again: monthly=$400");
});

it("refuses to remove a config team's budget and says where to change it", () => {
  const refused = runCli(['teams', 'remove', 'batch', '--config', json]);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toContain(`team batch's budget (daily=$5) is given in the config (${json}), under the auth plugin's teams: change or remove it there`);
});

it('reads the teams of an auth() plugin a JavaScript config made', () => {
  const mjs = join(dir, 'gateway.config.mjs');
  writeFileSync(
    mjs,
    `import { auth } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)};\n` +
      `export default { store: ${JSON.stringify(`sqlite://${join(dir, 'js-state', 'gateway.sqlite')}`)}, plugins: [auth({ teams: { ops: { budget: { dailyUsd: 1, monthlyUsd: 20 } } } })] };\n`,
  );
  const listed = runCli(['teams', 'list', '--json', '--config', mjs]);
  expect(listed.stderr).toBe('');
  expect(JSON.parse(listed.stdout)).toEqual([{ team: 'ops', budget: { dailyUsd: 1, monthlyUsd: 20 }, source: 'config' }]);
});
