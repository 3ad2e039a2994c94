/**
 * Before its fix, what the user saw: docs/configuration.md says `check` lists "every problem the config's parts
 * show ... in one run (the schema's, unset variables, plugins that do not load, unknown options)".
 * A JSON/YAML config whose `server.adminKey` reads an unset variable (`{ "env": "MY_ADMIN_KEY" }`,
 * the form the docs give) and that also has a plugin whose options are wrong gets only the plugin's
 * problem; once that is mended, the next run reports the unset admin-key variable. (A provider's
 * `{ env }` that is unset is listed beside the plugin's problem, as the docs say.)
 *
 * Right behaviour: the unset variable of `server.adminKey` is listed in the same run. It does not
 * depend on the plugins (only the deprecated `adminKey` aliases of plugins do), so
 * core/config/resolve-config.ts can read `server.adminKey`'s reference whatever the plugins did.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-gateway-docs-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('check lists an unset server.adminKey variable beside a plugin problem, in one run', () => {
  const file = join(dir, 'gateway.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { adminKey: { env: 'DOCS_TRUTH_UNSET_ADMIN_KEY' } },
      store: 'memory',
      providers: { up: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: { env: 'DOCS_TRUTH_UNSET_PROVIDER_KEY' } } },
      plugins: ['gateway:rules'], // rules() without its required `rules` option
    }),
  );
  const { status, stderr, stdout } = runCli(['check', '--config', file]);
  const output = stdout + stderr;
  expect(status).toBe(1);
  expect(output).toMatch(/gateway:rules: options\/rules is required/);
  expect(output).toMatch(/DOCS_TRUTH_UNSET_PROVIDER_KEY, which is not set/);
  expect(output).toMatch(/config\/server\/adminKey reads environment variable DOCS_TRUTH_UNSET_ADMIN_KEY, which is not set/);
});
