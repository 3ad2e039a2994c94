/**
 * `start --watch`, then SIGTERM while the previous config still serves a stream: the stop waits for
 * the gateway a reload replaced as well as the current one, so the stream finishes, the previous
 * gateway's usage log writes its record, and the process exits 0 (docs/deployment.md: SIGTERM
 * "lets in-flight requests and streams finish ..., writes the last usage records, then exits 0").
 * Before its fix, stop() closed only the current gateway and exited, the previous one still
 * retiring (its drain even lasted its whole deadline, its idle callback replaced by close()'s), so
 * the record was lost.
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
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-watch-'));
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

function countRecords(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.get('SELECT count(*) AS n FROM usage_records', (err: Error | null, row: { n: number }) => {
        db.close();
        if (err) reject(err);
        else resolve(row.n);
      });
    });
  });
}

describe('start --watch, then SIGTERM', () => {
  it('control: without a reload, the stream\'s record is written', async () => {
    const usage = join(dir, 'control.sqlite');
    const file = join(dir, 'control.json');
    writeFileSync(
      file,
      JSON.stringify({
        store: 'memory',
        usageLog: `sqlite://${usage}`,
        providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
        plugins: ['gateway:usage-logger'],
      }),
    );
    const cli = await startCli(['--config', file, '--port', '0', '--watch'], { cwd: dir });
    running.push(cli);
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f'), chunkDelayMs: 100 } });
    const res = await fetch(`${cli.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a/m', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = res.text();
    cli.process.kill('SIGTERM');
    await text;
    expect(await cli.exited).toBe(0);
    expect(await countRecords(usage)).toBe(1);
  }, 60_000);

  it('writes the usage record of a stream the previous config was still serving', async () => {
    const usage = join(dir, 'usage.sqlite');
    const file = join(dir, 'gateway.config.json');
    const config = (providers: string[]) =>
      JSON.stringify({
        store: 'memory',
        usageLog: `sqlite://${usage}`,
        server: { shutdownTimeoutMs: 10_000 },
        providers: Object.fromEntries(providers.map((id) => [id, { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false }])),
        plugins: ['gateway:usage-logger'],
      });
    writeFileSync(file, config(['a']));
    const cli = await startCli(['--config', file, '--port', '0', '--watch'], { cwd: dir });
    running.push(cli);

    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h i j'), chunkDelayMs: 150 } });
    const res = await fetch(`${cli.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a/m', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    const text = res.text();

    writeFileSync(file, config(['a', 'b']));
    await expect.poll(() => cli.output(), { timeout: 10_000, interval: 50 }).toMatch(/config reloaded from/);

    cli.process.kill('SIGTERM');
    const body = await text;
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const code = await Promise.race([cli.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))]);
    expect(code).toBe(0);

    // The one request, a stream that finished before the process exited, has its record.
    expect(await countRecords(usage)).toBe(1);
  }, 60_000);
});
