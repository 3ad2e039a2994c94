/**
 * The logged floor (`bench/floor-proxy.ts --log`, the bench's "floor (logged)") writes its rows with
 * the usage log's own statement, schema and migrations, its values in `USAGE_COLUMNS` order: a
 * column added to the usage log must be added to its rows, or the floor dies on its first batch
 * and the bench measures nothing beside the full pipeline (as happened when
 * `cache_write_1h_tokens` came). One JSON and one streamed request through it, over real sockets,
 * and their rows read back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_COLUMNS } from '../../plugins/usage-logger/log/rows.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'gw-floor-'));
const file = join(dir, 'usage.sqlite');
let upstream: MockUpstream;
let floor: ChildProcess;
let origin: string;

beforeAll(async () => {
  upstream = await startMockUpstream();
  floor = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-proxy.ts', new URL(upstream.baseURL).origin, '--log', file], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  origin = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the floor did not start: ${output}`)), 15_000);
    const read = (data: Buffer) => {
      output += data.toString();
      const port = /"port":(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    };
    floor.stdout!.on('data', read);
    floor.stderr!.on('data', read);
  });
}, 20_000);

afterAll(async () => {
  floor?.stdin?.end();
  if (floor && floor.exitCode === null) await new Promise((resolve) => floor.once('exit', resolve));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows(): Promise<Array<Record<string, unknown>>> {
  const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
  try {
    return await new Promise((resolve, reject) => db.all(`SELECT ${USAGE_COLUMNS.join(', ')} FROM usage_records ORDER BY stream`, (error, found: Array<Record<string, unknown>>) => (error ? reject(error) : resolve(found))));
  } finally {
    db.close();
  }
}

describe('the logged floor', () => {
  it("writes a row for each request, whole and streamed, in the usage log's schema", async () => {
    const ask = (stream: boolean) =>
      fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer floor-bench-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-small', stream, messages: [{ role: 'user', content: 'Count me.' }] }),
      });
    for (const stream of [false, true]) {
      const response = await ask(stream);
      expect(response.status).toBe(200);
      await response.text();
    }
    await expect.poll(async () => (await rows()).length, { timeout: 5000 }).toBe(2);
    const [whole, streamed] = await rows();
    for (const row of [whole, streamed]) {
      expect(row).toMatchObject({ endpoint: 'chat.completions', provider: 'mock', model: 'mock-small', status: 200, outcome: 'ok', cache_write_1h_tokens: 0 });
      expect(Number(row!.prompt_tokens)).toBeGreaterThan(0);
      expect(String(row!.request_body)).toContain('Count me.');
    }
    expect(streamed).toMatchObject({ stream: 1 });
    expect(floor.exitCode).toBeNull();
  });
});
