/**
 * `keys create --expires 2025-12-01` (a year typed wrong) creates a key that expired before it was
 * made: exit 0, its secret printed, and every request with it is refused (401). Nothing tells the
 * operator; the date is only checked for being a date (cli/keys.ts:89).
 *
 * Before its fix exit 0. Now a new key's `expiresAt` already past is refused
 * (plugins/auth/key-spec.ts).
 */
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { folder } from './helpers.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

it('keys create --expires with a date already past is refused, saying so', () => {
  const f = folder({ 'gateway.config.json': JSON.stringify({ providers: { demo: { type: 'demo' } }, plugins: ['gateway:auth'] }) });
  cleanup = f.remove;
  const result = runCli(['keys', 'create', '--name', 'ci', '--expires', '2020-01-01'], { cwd: f.dir });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('expiresAt 2020-01-01T00:00:00.000Z has already passed');
});
