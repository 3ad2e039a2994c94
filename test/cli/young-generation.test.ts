/**
 * `llm-gateway start` caps V8's young generation at Node 20 and 22's size (cli/young-generation.ts):
 * on a Node whose V8 would give it more (24 and later) it executes itself again with
 * `--max-semi-space-size=16`, in the same process, unless the operator chose a size. The decision is
 * tested as a function, and the real CLI on whatever Node runs the suite (CI runs 20, 22, 24, 26):
 * what the process was executed with is read from /proc, as `ps` shows it.
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEMI_SPACE_CAP_MB, youngGenerationRestart, type ProcessFacts } from '../../cli/young-generation.js';
import { startCli, type RunningCli } from '../support/cli.js';

const FLAG = `--max-semi-space-size=${SEMI_SPACE_CAP_MB}`;

describe('whether start executes itself again', () => {
  const node24: ProcessFacts = {
    execPath: '/usr/bin/node',
    execArgv: ['--enable-source-maps'],
    argv: ['/usr/bin/node', '/app/dist/cli/main.js', 'start', '--port', '8080'],
    nodeOptions: undefined,
    v8Version: '13.6.233.17-node.41',
    canExecve: true,
  };

  it('does on a V8 whose default is larger, with the flag first and everything else kept in order', () => {
    expect(youngGenerationRestart(node24)).toEqual(['/usr/bin/node', FLAG, '--enable-source-maps', '/app/dist/cli/main.js', 'start', '--port', '8080']);
  });

  it('does not on Node 20 and 22, whose V8 (11, 12) has the cap as its default', () => {
    expect(youngGenerationRestart({ ...node24, v8Version: '12.4.254.21-node.33' })).toBeUndefined();
    expect(youngGenerationRestart({ ...node24, v8Version: '11.3.244.8-node.30' })).toBeUndefined();
  });

  it('leaves a size the operator chose, as a node flag or in NODE_OPTIONS, in either spelling', () => {
    expect(youngGenerationRestart({ ...node24, execArgv: ['--max-semi-space-size=64'] })).toBeUndefined();
    expect(youngGenerationRestart({ ...node24, execArgv: ['--max_semi_space_size', '8'] })).toBeUndefined();
    expect(youngGenerationRestart({ ...node24, nodeOptions: '--enable-source-maps --max-semi-space-size=32' })).toBeUndefined();
  });

  it('does not while a profiler samples the process by SIGPROF, which the new image could not yet take', () => {
    expect(youngGenerationRestart({ ...node24, execArgv: ['--cpu-prof', '--cpu-prof-dir', '/tmp/p'] })).toBeUndefined();
    expect(youngGenerationRestart({ ...node24, execArgv: ['--prof'] })).toBeUndefined();
    expect(youngGenerationRestart({ ...node24, nodeOptions: '--enable-source-maps --cpu-prof' })).toBeUndefined();
    // Not a profiler: a heap profile samples allocations, without signals.
    expect(youngGenerationRestart({ ...node24, execArgv: ['--heap-prof'] })).toEqual(['/usr/bin/node', FLAG, '--heap-prof', '/app/dist/cli/main.js', 'start', '--port', '8080']);
  });

  it('does not where the process cannot replace itself (Windows, Node before 22.15)', () => {
    expect(youngGenerationRestart({ ...node24, canExecve: false })).toBeUndefined();
  });

  it('does once: the process it becomes has the flag', () => {
    const again = youngGenerationRestart(node24)!;
    expect(youngGenerationRestart({ ...node24, execArgv: again.slice(1, 3), argv: [again[0]!, ...again.slice(3)] })).toBeUndefined();
  });
});

describe('llm-gateway start on this Node', () => {
  const wantsCap = Number.parseInt(process.versions.v8, 10) >= 13 && typeof (process as { execve?: unknown }).execve === 'function';
  let dir: string;
  const running: RunningCli[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-gateway-young-'));
    writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ providers: {}, store: 'memory' }));
  });
  afterAll(async () => {
    await Promise.all(running.map((cli) => cli.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const childrenOf = (pid: number) =>
    readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));

  async function start(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<RunningCli> {
    const cli = await startCli(['--port', '0', ...args], { cwd: dir, env, nodeArgs });
    running.push(cli);
    const health = await fetch(`${cli.url}/health`);
    expect(health.status).toBe(200);
    return cli;
  }

  it(`${wantsCap ? 'runs' : 'does not run'} with ${FLAG}, in the process it was started as, and stops cleanly`, async () => {
    const cli = await start([]);
    const line = commandLine(cli.process.pid!);
    expect(line.includes(FLAG)).toBe(wantsCap);
    expect(line.slice(-3)).toEqual(['start', '--port', '0']);
    expect(await cli.stop('SIGTERM')).toBe(0);
  });

  it('keeps the size NODE_OPTIONS chose', async () => {
    const cli = await start([], { NODE_OPTIONS: '--max-semi-space-size=32' });
    expect(commandLine(cli.process.pid!)).not.toContain(FLAG);
  });

  it('keeps running as it was started under a CPU profiler, which writes its profile at the end', async () => {
    const cli = await start([], {}, ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profile')}`]);
    expect(commandLine(cli.process.pid!)).not.toContain(FLAG);
    expect(await cli.stop('SIGTERM')).toBe(0);
    expect(readdirSync(join(dir, 'profile')).filter((file) => file.endsWith('.cpuprofile'))).toHaveLength(1);
  });

  it(`gives ${wantsCap ? 'every worker the flag' : 'no worker the flag'} with --workers`, async () => {
    writeFileSync(join(dir, 'workers.config.json'), JSON.stringify({ providers: {}, store: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }));
    const cli = await start(['--workers', '2', '--config', join(dir, 'workers.config.json')]);
    const workers = childrenOf(cli.process.pid!);
    expect(workers).toHaveLength(2);
    for (const worker of workers) expect(commandLine(worker).includes(FLAG)).toBe(wantsCap);
  });
});
