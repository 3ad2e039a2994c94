/**
 * The real coding agents, installed from npm (`.ci/run` installs pinned versions into
 * `.ci/agents/` and sets AGENT_CLIS_DIR), run as child processes against a gateway on a local base
 * URL: offline, with a home folder of their own so nothing of the user's leaks in or out.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '../../index.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from './mock-gemini.js';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';

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

/**
 * A Codex home that keeps OpenAI as its provider, pointed at `baseURL` (`openai_base_url`): a
 * common way to put Codex behind a proxy. Codex then speaks to it as it speaks to OpenAI, WebSocket
 * attempt and remote compaction included. `extra` lines go into config.toml as they are.
 */
export function codexHomeWithOpenAIProvider(baseURL: string, model: string, extra: readonly string[] = []): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  writeFileSync(join(home, 'config.toml'), [`model = "${model}"`, `openai_base_url = "${baseURL}"`, ...extra, ''].join('\n'));
  return { CODEX_HOME: home };
}

/** What the agent tests run against: a gateway in front of a mock upstream (OpenAI-format and Anthropic) and a mock Gemini. */
export interface AgentBackends {
  /** Serves `oai` (OpenAI-format chat), `claude` (Anthropic) and the providers `moreProviders` point at it. */
  upstream: MockUpstream;
  /** Serves `gem`, with the key `g-key`. */
  gemini: MockGemini;
  gw: RunningGateway;
  /** Forgets the requests both upstreams have seen. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the mock upstreams and a gateway with the providers `oai/…` (OpenAI-format),
 * `claude/…` (Anthropic, upstream key `sk-ant-upstream`) and `gem/…` (Gemini), plus the providers
 * `moreProviders` returns for the mock upstream.
 */
export async function startAgentBackends(moreProviders: (upstream: MockUpstream) => GatewayConfig['providers'] = () => ({})): Promise<AgentBackends> {
  const upstream = await startMockUpstream();
  let gemini: MockGemini | undefined;
  try {
    gemini = await startMockGemini({ apiKey: 'g-key' });
    const gw = await startGateway({
      providers: {
        oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
        claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
        gem: mockGeminiProvider(gemini, { apiKey: 'g-key' }),
        ...moreProviders(upstream),
      },
    });
    const started = gemini;
    return {
      upstream,
      gemini: started,
      gw,
      reset() {
        upstream.reset();
        started.reset();
      },
      async close() {
        await gw.close();
        await upstream.close();
        await started.close();
      },
    };
  } catch (error) {
    await upstream.close();
    await gemini?.close();
    throw error;
  }
}
