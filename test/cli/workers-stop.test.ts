/**
 * `llm-gateway start --workers N` when the primary goes away (killed: each worker finishes what it
 * serves, then exits) or is told to stop while it is replacing a worker (the one still starting is
 * stopped too). Real processes, Redis as the shared store.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let dir: string;
const running: RunningCli[] = [];
const spawned = new Set<number>();

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-review-workers-'));
});
afterAll(async () => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ store: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', providers: { up: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, ...extra }));
  return file;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids of `parent`'s children, from /proc. */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

async function until(condition: () => boolean, what: () => string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function startWorkers(file: string): Promise<{ cli: RunningCli; workers: number[] }> {
  const cli = await startCli(['--config', file, '--port', '0', '--workers', '2'], { cwd: dir });
  running.push(cli);
  await until(() => /primary \d+: 2 workers \(\d+, \d+\)/.test(cli.output()), cli.output);
  const [, a, b] = /primary \d+: 2 workers \((\d+), (\d+)\)/.exec(cli.output())!;
  const workers = [Number(a), Number(b)];
  for (const pid of workers) spawned.add(pid);
  return { cli, workers };
}

describe('start --workers: workers and their primary', () => {
  /*
   * Promised (cli/start.ts, in startCommand): "The primary is gone (killed): nobody will stop this
   * worker, so it stops itself", through the same graceful stop as SIGTERM, which (docs/deployment.md)
   * "lets in-flight requests and streams finish, up to server.shutdownTimeoutMs (10 s), writes the
   * last usage records, then exits 0".
   * What happens: node:cluster's own worker code registers a 'disconnect' listener first that calls
   * process.exit(0) at once when the primary goes away, so the gateway's listener never runs: the
   * worker dies on the spot, its in-flight streams are cut, and its queued usage records and counts
   * are lost.
   */
  it('a worker whose primary was killed finishes its in-flight stream before it exits', async () => {
    const { cli, workers } = await startWorkers(config('primary-killed.json', { server: { shutdownTimeoutMs: 10_000 } }));
    await until(() => (cli.output().match(/listening on http:\/\/\S+/g)?.length ?? 0) >= 2, cli.output, 15_000);
    // Both workers may take the stream; queue it for either.
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h i j'), chunkDelayMs: 150 } }, { stream: { chunks: wordChunks('a b c d e f g h i j'), chunkDelayMs: 150 } });
    const res = await fetch(`${cli.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ model: 'up/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const first = await reader.read();
    text += decoder.decode(first.value, { stream: true });

    // The primary is killed (OOM killer, kill -9): the workers lose their IPC channel.
    cli.process.kill('SIGKILL');

    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    // The stream should have been allowed to finish (graceful stop) ...
    expect(text).toContain('"content":"j"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    await until(() => !workers.some(alive), () => `workers still alive: ${workers.filter(alive).join(', ')}`, 20_000);
  }, 90_000);

  /*
   * Promised (docs/deployment.md, "Several workers"): "The primary process only starts them, starts
   * another when one dies, and on SIGTERM/SIGINT has each finish its in-flight requests and streams
   * before it exits."
   * What happens: the primary stops a worker by an IPC message (cli/workers.ts, stop()); a
   * replacement worker that is still booting has no 'message' listener yet (cli/start.ts adds it
   * only after the gateway listens), so the message is dropped. The replacement then starts
   * listening and runs for ever, and the primary waits for its exit for ever: SIGTERM never ends
   * the service (systemd/docker then SIGKILL it after their stop timeout).
   */
  it('SIGTERM while the primary is replacing a dead worker still stops everything', async () => {
    const { cli, workers } = await startWorkers(config('replacing.json'));
    await until(() => (cli.output().match(/listening on http:\/\/\S+/g)?.length ?? 0) >= 2, cli.output, 15_000);
    const primary = cli.process.pid!;
    process.kill(workers[0]!, 'SIGKILL');
    // The primary forks a replacement a second later; SIGTERM as soon as it exists (still booting).
    let replacement: number | undefined;
    await until(
      () => {
        replacement = childrenOf(primary).find((pid) => !workers.includes(pid));
        return replacement !== undefined;
      },
      () => `no replacement worker: ${cli.output()}`,
      10_000,
      5,
    );
    spawned.add(replacement!);
    cli.process.kill('SIGTERM');
    const exited = await Promise.race([cli.exited.then((code) => ({ code })), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
    const replacementAlive = alive(replacement!);
    expect({ exited, replacementAlive }).toEqual({ exited: { code: 0 }, replacementAlive: false });
  }, 90_000);
});
