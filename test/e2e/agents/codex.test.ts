/**
 * The real Codex CLI (`@openai/codex`, installed by .ci/run), which speaks only the Responses API,
 * pointed at the gateway with a custom model provider (`wire_api = "responses"`), completing
 * `codex exec` through an OpenAI-format chat provider, an Anthropic provider and a Gemini provider;
 * and with OpenAI kept as its provider (`openai_base_url`), where it tries a WebSocket first and
 * compacts its context through the Responses API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentBin, codexHome, codexHomeWithOpenAIProvider, runAgent, startAgentBackends, type AgentBackends } from '../../support/agents.js';

const codex = agentBin('codex');
if (!codex) console.warn('AGENT_CLIS_DIR is not set (or has no codex): the Codex CLI tests are skipped; .ci/run installs it.');

describe.skipIf(!codex)('Codex CLI through the gateway', () => {
  let backends: AgentBackends;
  beforeAll(async () => {
    backends = await startAgentBackends((upstream) => ({ openai: { type: 'openai', apiKey: 'sk-openai-upstream', baseURL: upstream.baseURL, listModels: false } }));
  });
  afterAll(() => backends?.close());
  beforeEach(() => backends.reset());

  const exec = (model: string, prompt = 'say pong') =>
    runAgent(codex!, ['exec', '--skip-git-repo-check', '--color', 'never', prompt], { ...codexHome(backends.gw.baseURL, model), GATEWAY_KEY: 'client-key', RUST_LOG: 'error' });

  function finalMessage(run: { status: number | null; stdout: string; stderr: string }): string {
    expect(run.status, `codex exited ${run.status}\n${run.stderr}\n${run.stdout}`).toBe(0);
    return run.stdout.trim();
  }

  it('completes a prompt on an OpenAI-format chat model, its tools flattened and hosted ones left out', async () => {
    expect(finalMessage(await exec('oai/mock-small'))).toContain('say pong');
    const sent = backends.upstream.requests.find((r) => r.path === '/v1/chat/completions')?.body as { messages: Array<{ role: string }>; tools?: Array<{ function: { name: string } }> };
    expect(sent.messages[0]?.role).toBe('system');
    expect(sent.tools?.map((t) => t.function.name)).toEqual(expect.arrayContaining(['exec_command', 'close_agent']));
  });

  it('completes a prompt on an Anthropic model', async () => {
    expect(finalMessage(await exec('claude/claude-test'))).toContain('say pong');
    const sent = backends.upstream.requests.find((r) => r.path.startsWith('/v1/messages'))?.body as { system?: unknown; tools?: unknown[] };
    expect(sent.system).toBeDefined();
    expect(sent.tools?.length).toBeGreaterThan(0);
  });

  it('completes a prompt on a Gemini model', async () => {
    expect(finalMessage(await exec('gem/gemini-mock-flash'))).toContain('say pong');
    expect(backends.gemini.requests.some((r) => r.path.includes('GenerateContent'))).toBe(true);
  });

  it('completes a prompt on OpenAI itself, its request passed through to /responses as written', async () => {
    expect(finalMessage(await exec('openai/gpt-mock'))).toContain('say pong');
    const seen = backends.upstream.requests.find((r) => r.path === '/v1/responses');
    expect(seen?.headers.authorization).toBe('Bearer sk-openai-upstream');
    expect(seen?.body).toMatchObject({ model: 'gpt-mock', store: false, include: ['reasoning.encrypted_content'] });
    expect((seen?.body?.tools as Array<{ type: string }>).map((t) => t.type)).toEqual(expect.arrayContaining(['namespace', 'web_search']));
  });

  it('runs a shell command the model asks for and sends its output back (two turns through the gateway)', async () => {
    // The mock calls the tool named at the end of the prompt; Codex runs it (its sandbox may
    // refuse the made-up arguments: either way a function_call_output comes back).
    const answer = finalMessage(await exec('oai/mock-small', 'please call exec_command'));
    expect(answer).toMatch(/tool said: /);
    const turns = backends.upstream.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(turns.length).toBeGreaterThanOrEqual(2);
    const second = turns[1]!.body as { messages: Array<{ role: string; tool_call_id?: string }> };
    expect(second.messages.some((m) => m.role === 'tool' && m.tool_call_id)).toBe(true);
  });

  describe('with OpenAI kept as its provider (openai_base_url)', () => {
    const execAsOpenAI = (model: string, prompt: string, extra: string[] = []) =>
      runAgent(codex!, ['exec', '--skip-git-repo-check', '--color', 'never', prompt], { ...codexHomeWithOpenAIProvider(backends.gw.baseURL, model, extra), OPENAI_API_KEY: 'client-key', RUST_LOG: 'error' });

    it('falls back from its WebSocket to HTTP at once, with no reconnecting', async () => {
      // Before the gateway answered a handshake with 426, Codex retried it five times (a 405 each):
      // "Reconnecting... 1/5" to "5/5" on stderr and about seven seconds lost.
      const run = await execAsOpenAI('oai/mock-small', 'say pong');
      expect(finalMessage(run)).toContain('say pong');
      expect(run.stderr).not.toMatch(/Reconnecting/);
    });

    it('compacts its context through a chat model, and carries on from the summary', async () => {
      // A tiny auto-compaction limit makes Codex compact after the tool call: it sends its history
      // ending with a compaction_trigger, must get one compaction item back, and sends that item
      // on. Before, the trigger was a 400 and the run failed ("Error running remote compact task").
      const run = await execAsOpenAI('oai/mock-small', 'please call exec_command', ['model_auto_compact_token_limit = 5']);
      expect(run.status, `codex exited ${run.status}\n${run.stderr}\n${run.stdout}`).toBe(0);
      expect(run.stderr).not.toMatch(/Error running remote compact task/);
      const turns = backends.upstream.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: Array<{ role: string; content: unknown }>; tool_choice?: unknown });
      const compaction = turns.findIndex((t) => JSON.stringify(t.messages.at(-1)).includes('Context checkpoint'));
      expect(compaction, 'no request asked for a summary').toBeGreaterThan(0);
      expect(turns[compaction]!.tool_choice).toBe('none');
      const after = turns.slice(compaction + 1);
      expect(after.length).toBeGreaterThan(0);
      expect(JSON.stringify(after[0]!.messages)).toContain('A summary of the conversation so far');
    });
  });
});
