/**
 * `llm-gateway keys create` with flags that would make no limit: `--burst` without `--rpm` is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-review-keys-'));
  config = join(dir, 'gateway.config.json');
  writeFileSync(config, JSON.stringify({ store: `sqlite://${join(dir, 'state.sqlite')}`, providers: {} }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keys create', () => {
  /*
   * Promised (cli/main.ts help: `keys create ... [--rpm N [--burst N]]`; docs/keys-and-usage.md: a
   * key's rpm "can instead be a token bucket ... (CLI: --rpm 120 --burst 10) lets 10 requests
   * through at once and then refills at 120 a minute").
   * What happens: `--burst 5` without `--rpm` is accepted (exit 0) and stores
   * `limits: {algorithm: 'token-bucket', burst: 5}` with no rpm, which the auth plugin reads as no
   * rate limit at all: an operator who meant to cap bursts at 5 gets an unlimited key, silently.
   */
  it('refuses --burst without --rpm rather than creating a key with no rate limit', () => {
    const result = runCli(['keys', 'create', '--config', config, '--name', 'bursty', '--burst', '5', '--json'], { cwd: dir });
    const created = result.status === 0 ? (JSON.parse(result.stdout) as { limits?: { rpm?: number; burst?: number } }) : undefined;
    // Either refused, or a key that is actually limited.
    expect(result.status !== 0 || created?.limits?.rpm !== undefined).toBe(true);
  }, 60_000);
});
