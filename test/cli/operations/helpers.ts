/** Small helpers of the operations tests: a folder of the test's own, usage records counted. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';

export function folder(files: Record<string, string> = {}): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'operations-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function countUsageRecords(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.all('SELECT count(*) AS n FROM usage_records', (queryError, rows: Array<{ n: number }>) => {
        db.close();
        if (queryError) return reject(queryError);
        resolve(Number(rows[0]!.n));
      });
    });
  });
}

export async function chat(url: string, model: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
