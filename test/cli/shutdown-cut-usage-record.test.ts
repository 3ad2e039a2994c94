/**
 * SIGTERM past `server.shutdownTimeoutMs`: the stream cut at the deadline is in the usage log file
 * (an error, `server_shutdown`) once `start` has exited 0, as docs/deployment.md says.
 * test/e2e/shutdown-cut-record.test.ts checks the record handed to the log; this checks the file.
 * Before its fix, the server's close returned once the server had closed, before the cut
 * responses' own close events ended their exchanges, so the usage log was closed first and the
 * record never written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let dir: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-cut-'));
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

function rows(file: string): Promise<Array<{ outcome: string; error_code: string | null }>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.all('SELECT outcome, error_code FROM usage_records', (err: Error | null, all: Array<{ outcome: string; error_code: string | null }>) => {
        db.close();
        if (err) reject(err);
        else resolve(all);
      });
    });
  });
}

describe('SIGTERM past the deadline', () => {
  it('writes the record of the stream it cut', async () => {
    const usage = join(dir, 'usage.sqlite');
    const file = join(dir, 'gateway.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        store: 'memory',
        usageLog: `sqlite://${usage}`,
        server: { shutdownTimeoutMs: 300 },
        providers: { up: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
        plugins: ['gateway:usage-logger'],
      }),
    );
    const cli = await startCli(['--config', file, '--port', '0'], { cwd: dir });
    running.push(cli);
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h i j k l m n o p'), chunkDelayMs: 300 } });
    const res = await fetch(`${cli.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/m', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = res.text().catch(() => '');
    await new Promise((resolve) => setTimeout(resolve, 200));
    cli.process.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await text;
    expect(await rows(usage)).toEqual([{ outcome: 'error', error_code: 'server_shutdown' }]);
  }, 30_000);
});
