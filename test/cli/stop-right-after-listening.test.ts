/**
 * A SIGTERM that comes as soon as the gateway says "listening on" (a supervisor replacing it at
 * once, a rolling deploy rolled back, a test). Before its fix, `start` installed its signal handlers
 * only after logging that line, so a signal read off it could come before Node had a handler for
 * it and kill the process outright (exit by SIGTERM, no graceful stop: the store not closed, usage
 * records not flushed): about one start in three here, on Node 20 and 24 alike. Now the handlers
 * are in place before the gateway listens. The built CLI, eight starts, each stopped the moment it
 * says it listens.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-stop-at-once-'));
  config = join(dir, 'gateway.config.json');
  writeFileSync(config, JSON.stringify({ store: `sqlite://${join(dir, 'state', 'gateway.sqlite')}`, providers: { demo: { type: 'demo' } } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('start, stopped the moment it listens', () => {
  it('stops gracefully every time (exit 0, "stopped")', async () => {
    const exits: Array<{ code: number | null; signal: NodeJS.Signals | null; stopped: boolean }> = [];
    for (let i = 0; i < 8; i++) {
      const cli = await startCli(['--config', config, '--port', '0'], { cwd: dir });
      const code = await cli.stop('SIGTERM');
      exits.push({ code, signal: cli.process.signalCode, stopped: /\bstopped\b/.test(cli.output()) });
    }
    expect(exits).toEqual(Array.from({ length: 8 }, () => ({ code: 0, signal: null, stopped: true })));
  }, 60_000);
});
