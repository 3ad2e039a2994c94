/**
 * `npm start` (the systemd unit's `ExecStart=/usr/bin/npm start`) stopped through its process group
 * (systemd's default KillMode=control-group; Ctrl-C reaches every process of the foreground group):
 * SIGTERM and SIGINT let the in-flight stream finish and the gateway exits as stopped, although npm
 * forwards the signal to the script it runs (@npmcli/run-script signal-manager.js) and the gateway
 * gets it twice at once. A repeat counts as "stop without waiting" only once a grace has passed.
 * Before its fix, the second signal was taken as "again: exiting without waiting", cutting the stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv } from '../support/cli.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

/** The store --workers accepts (a memory store is refused there). */
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let upstream: MockUpstream;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-npm-start-'));
});
afterAll(async () => {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/*
 * Where /bin/sh is bash (Fedora, RHEL, Arch...), `sh -c "node ..."` execs node, which is then npm's
 * own child and gets npm's forwarded signal beside the group's. Debian's dash stays in between (and
 * takes npm's signal itself), so the shell is chosen here as those systems have it.
 */
describe.each([
  ['/bin/bash', ''],
  ['/bin/sh', ''],
  // The primary of --workers gets the signal twice too (its workers get the group's and its message).
  ['/bin/bash', ' --workers 2'],
])('npm start (script shell %s)%s, stopped through its process group', (shell, extra) => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s lets an in-flight stream finish', async (signal) => {
    writeFileSync(
      join(dir, 'gateway.config.json'),
      JSON.stringify({ store: extra ? REDIS : 'memory', server: { shutdownTimeoutMs: 10_000 }, providers: { up: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } }),
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'gw', private: true, scripts: { start: `node ${CLI} start --port 0${extra}` } }));
    const env = cleanEnv({ PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', npm_config_script_shell: shell });
    child = spawn(NPM, ['start', '--silent'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    // 'close': every process holding the output (npm, the shell, the gateway) has gone.
    const exited = new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code)));
    await expect.poll(() => output, { timeout: 20_000, interval: 50 }).toMatch(extra ? /primary \d+: 2 workers/ : /listening on http:\/\/\S+/);
    const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;

    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h'), chunkDelayMs: 150 } });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/m', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const text = (async () => {
      let all = '';
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return all;
        all += decoder.decode(value, { stream: true });
      }
    })();

    process.kill(-child.pid!, signal);
    const body = await text;
    await exited;
    child = undefined;
    expect(output).not.toMatch(/again: (exiting|stopping the workers) without waiting/);
    expect(body).toContain('"content":"h"');
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(output).toMatch(/stopped/);
  }, 60_000);
});
