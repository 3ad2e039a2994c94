/**
 * The real Claude Code CLI (`@anthropic-ai/claude-code`, installed by .ci/run) pointed at the
 * gateway with ANTHROPIC_BASE_URL, answering `claude -p` through an OpenAI-format, a Gemini-format
 * and an Anthropic upstream. The SDKs alone missed that Claude Code 2.1 puts a system message inside
 * the conversation: keep the real client here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentBin, runAgent, startAgentBackends, type AgentBackends } from '../../support/agents.js';
import { geminiResponse } from '../../support/mock-gemini.js';

const claude = agentBin('claude');
if (!claude) console.warn('AGENT_CLIS_DIR is not set (or has no claude): the Claude Code tests are skipped; .ci/run installs it.');

describe.skipIf(!claude)('Claude Code through the gateway', () => {
  let backends: AgentBackends;
  beforeAll(async () => {
    backends = await startAgentBackends();
  });
  afterAll(() => backends?.close());
  beforeEach(() => backends.reset());

  const ask = (model: string, prompt = 'say pong') =>
    runAgent(claude!, ['-p', prompt, '--model', model, '--output-format', 'json'], {
      ANTHROPIC_BASE_URL: backends.gw.url,
      ANTHROPIC_API_KEY: 'client-key',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });

  function result(run: { status: number | null; stdout: string; stderr: string }): { result: string; is_error: boolean } {
    expect(run.status, `claude exited ${run.status}\n${run.stderr}\n${run.stdout}`).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { result: string; is_error: boolean };
  }

  it('completes a prompt on an OpenAI-format model, its system message kept in place', async () => {
    const answer = result(await ask('oai/mock-small'));
    expect(answer.is_error).toBe(false);
    expect(answer.result).toContain('say pong');
    const sent = backends.upstream.requests.find((r) => r.path === '/v1/chat/completions')?.body as { messages: Array<{ role: string }>; tools?: unknown[] };
    expect(sent.messages.map((m) => m.role)).toContain('user');
    expect(sent.messages.filter((m) => m.role === 'system').length).toBeGreaterThanOrEqual(1);
    expect(sent.tools?.length).toBeGreaterThan(0);
  });

  it('runs a tool the model calls and sends its result back, across two turns on an OpenAI-format model', async () => {
    // The mock calls the tool named at the end of the prompt, with arguments Claude Code refuses:
    // its refusal comes back as a tool result, which the mock answers with "tool said: …".
    const answer = result(await ask('oai/mock-small', 'please call Read'));
    expect(answer.result).toMatch(/^tool said: /);
    const turns = backends.upstream.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: Array<{ role: string; tool_calls?: unknown[]; tool_call_id?: string }> });
    expect(turns).toHaveLength(2);
    const second = turns[1]!.messages;
    const call = second.find((m) => m.role === 'assistant' && m.tool_calls?.length);
    const result_ = second.find((m) => m.role === 'tool');
    expect(call).toBeDefined();
    expect(result_?.tool_call_id).toBe((call!.tool_calls![0] as { id: string }).id);
  });

  it('completes a prompt on a Gemini-format model', async () => {
    const answer = result(await ask('gem/gemini-mock-flash'));
    expect(answer.is_error).toBe(false);
    expect(answer.result).toContain('say pong');
    const sent = backends.gemini.requests.find((r) => r.path.includes('GenerateContent'))?.body as { systemInstruction?: unknown; contents: unknown[] };
    expect(sent.systemInstruction).toBeDefined();
  });

  it("sends a Gemini model its own thought signature back on the tool loop's second turn", async () => {
    // Gemini 3 signs its function calls and needs the signature back on the next turn. Claude Code
    // keeps a thinking block's signature and sends it back, which is where the gateway carries it
    // (plugins/anthropic/protocol/carried-call-data.ts). Before, the second turn went up with
    // Google's stand-in signature instead of Gemini's own.
    const call = { functionCall: { name: 'Bash', args: { command: 'echo hi', description: 'say hi' } }, thoughtSignature: 'sig-real-gemini' };
    backends.gemini.enqueue({ streamEvents: [geminiResponse([call], { finishReason: 'STOP' })] });
    const answer = result(await ask('gem/gemini-mock-flash', 'run echo hi'));
    expect(answer.is_error).toBe(false);
    const turns = backends.gemini.requests.filter((r) => r.path.includes('GenerateContent')).map((r) => r.body as { contents: Array<{ role: string; parts: Array<{ functionCall?: unknown; thoughtSignature?: string; thought?: boolean }> }> });
    expect(turns.length).toBeGreaterThanOrEqual(2);
    const modelTurn = turns[1]!.contents.find((c) => c.role === 'model' && c.parts.some((p) => p.functionCall));
    expect(modelTurn?.parts.find((p) => p.functionCall)?.thoughtSignature).toBe('sig-real-gemini');
    expect(modelTurn?.parts.some((p) => p.thought)).toBe(false);
  });

  it('completes a prompt on an Anthropic model, passed through as written', async () => {
    const answer = result(await ask('claude/claude-test'));
    expect(answer.is_error).toBe(false);
    expect(answer.result).toContain('say pong');
    const seen = backends.upstream.requests.find((r) => r.path.startsWith('/v1/messages'));
    expect(seen?.path).toBe('/v1/messages?beta=true');
    expect(seen?.headers['anthropic-beta']).toContain('claude-code');
    expect((seen?.body as { messages: Array<{ role: string }> }).messages.some((m) => m.role === 'system')).toBe(true);
  });
});
