/**
 * One log record, one line, in the text format (the default): a value a client chooses, such as a
 * model name with a line break in it, is written JSON-quoted, so nobody can forge log lines
 * (CWE-117); here a forged "operator logged in" line of the dashboard, through the access log.
 * Before its fix, text lines wrote string fields and messages as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog, auth } from '../../index.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-log-injection-review';
let upstream: MockUpstream;
let gw: RunningGateway;
const records: string[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway(
    { server: { adminKey: ADMIN }, providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [auth(), accessLog()] },
    // What `npm start` writes to stderr: one record per write, each ended by '\n'.
    { logger: createLogger({ level: 'info', write: (line) => records.push(line) }) },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('log lines a client writes into', () => {
  it('keeps a client-chosen model name with a newline on its record\'s own line', async () => {
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'client' }) });
    const { secret } = (await created.json()) as { secret: string };
    const forged = '2030-01-01T00:00:00.000Z INFO  [gateway:dashboard] dashboard: operator logged in address=203.0.113.66';
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: `a/mock-small\n${forged}`, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    await new Promise((r) => setTimeout(r, 100));
    const written = records.join('\n').split('\n');
    expect(records.some((r) => r.includes('203.0.113.66'))).toBe(true);
    expect(written.filter((line) => line.startsWith('2030-01-01T00:00:00.000Z')), 'a forged line').toEqual([]);
  });
});
