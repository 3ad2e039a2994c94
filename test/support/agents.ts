/**
 * The real coding agents, installed from npm (`.ci/run` installs pinned versions into
 * `.ci/agents/` and sets AGENT_CLIS_DIR), run as child processes against a gateway on a local base
 * URL: offline, with a home folder of their own so nothing of the user's leaks in or out.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AGENT_CLIS_DIR = process.env.AGENT_CLIS_DIR;

export function agentBin(name: 'claude' | 'codex'): string | undefined {
  if (!AGENT_CLIS_DIR) return undefined;
  const bin = join(AGENT_CLIS_DIR, 'node_modules', '.bin', name);
  return existsSync(bin) ? bin : undefined;
}

export interface AgentRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an agent to completion in an empty working folder; kills it after `timeoutMs`. */
export function runAgent(bin: string, args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<AgentRun> {
  const home = mkdtempSync(join(tmpdir(), 'agent-home-'));
  const work = join(home, 'work');
  mkdirSync(work);
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A Codex home with one custom provider at `baseURL`, speaking the Responses API. */
export function codexHome(baseURL: string, model: string): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  writeFileSync(
    join(home, 'config.toml'),
    [`model = "${model}"`, 'model_provider = "gateway"', '', '[model_providers.gateway]', 'name = "llm-gateway"', `base_url = "${baseURL}"`, 'env_key = "GATEWAY_KEY"', 'wire_api = "responses"', ''].join('\n'),
  );
  return { CODEX_HOME: home };
}
