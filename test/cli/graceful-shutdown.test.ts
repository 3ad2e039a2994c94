/**
 * SIGTERM / SIGINT: stop accepting, let in-flight streams finish (up to the deadline), exit 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let dir: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-shutdown-'));
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startWith(shutdownTimeoutMs: number): Promise<RunningCli> {
  const file = join(dir, `gateway-${shutdownTimeoutMs}.json`);
  writeFileSync(file, JSON.stringify({ server: { shutdownTimeoutMs }, providers: { up: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } }));
  const cli = await startCli(['--config', file, '--port', '0']);
  running.push(cli);
  return cli;
}

/** Starts a stream and returns its full text once it ends, plus when its first bytes came. */
async function openStream(url: string): Promise<{ firstBytes: Promise<void>; text: Promise<string> }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  const reader = res.body!.getReader();
  let resolveFirst!: () => void;
  const firstBytes = new Promise<void>((r) => (resolveFirst = r));
  const text = (async () => {
    let all = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return all;
      all += decoder.decode(value, { stream: true });
      resolveFirst();
    }
  })();
  return { firstBytes, text };
}

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s lets an in-flight stream finish, refuses new connections, exits 0', async (signal) => {
    const cli = await startWith(10_000);
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h'), chunkDelayMs: 100 } });
    const stream = await openStream(cli.url);
    await stream.firstBytes;
    cli.process.kill(signal);
    await expect.poll(() => cli.output()).toMatch(new RegExp(`${signal} received`));
    await expect(fetch(`${cli.url}/health`, { headers: { connection: 'close' } })).rejects.toThrow();
    const text = await stream.text;
    expect(text).toContain('"content":"h"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await cli.exited).toBe(0);
  });

  it('cuts what is left when the deadline passes', async () => {
    const cli = await startWith(300);
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h i j k l m n o p'), chunkDelayMs: 300 } });
    const stream = await openStream(cli.url);
    await stream.firstBytes;
    const signalled = performance.now();
    cli.process.kill('SIGTERM');
    const code = await cli.exited;
    expect(performance.now() - signalled).toBeLessThan(3000);
    expect(code).toBe(0);
    expect(await stream.text).not.toContain('[DONE]');
    expect(cli.output()).toMatch(/shutdown deadline passed/);
  });
});
