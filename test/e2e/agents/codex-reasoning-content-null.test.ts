/**
 * Codex CLI's second turn of every tool loop in which the model reasoned.
 *
 * Before its fix, what the user saw: `codex exec` runs the command the model asked for, then stops with
 *   ERROR: {"error":{"message":"Invalid value for 'input[4].content': must be a string or array (found null).", ...}}
 * on Claude with thinking, on Gemini 3 (whose signed function calls come back as a reasoning item
 * carrying the signature) and on OpenAI itself (reasoning models always answer a reasoning item):
 * a coding agent that cannot get past its first tool call.
 *
 * Why: Codex sends each reasoning item back as it keeps it, `{"type":"reasoning","summary":[...],
 * "content":null,"encrypted_content":"..."}`. Codex's `ResponseItem::Reasoning.content` is an
 * `Option<Vec<ReasoningItemContent>>` serialised with `skip_serializing_if =
 * "should_serialize_reasoning_content"`, which is false for `None`, so `None` goes on the wire as
 * `null` (openai/codex codex-rs/protocol/src/models.rs). OpenAI's API takes it (Codex talks to
 * OpenAI this way); the gateway's request schema gives every input item's `content` the type
 * `['string', 'array']` (plugins/responses/protocol/validate-request.ts, `item.properties.content`),
 * meant for messages, and refuses the reasoning item with a 400 before anything is sent upstream.
 * The schema's own rule is "never stricter than OpenAI's own API".
 *
 * Right behaviour: a reasoning item's `content: null` is accepted (it means "no reasoning text"),
 * the turn goes up, and the agent finishes its loop.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentBin, codexHome, runAgent, startAgentBackends, type AgentBackends } from '../../support/agents.js';
import { anthropicStreamEvents } from '../../support/anthropic-wire.js';
import { geminiResponse } from '../../support/mock-gemini.js';
import { responsesStreamEvents } from '../../support/responses-wire.js';

const codex = agentBin('codex');

describe.skipIf(!codex)('Codex: the turn after a tool call the model reasoned about', () => {
  let backends: AgentBackends;
  beforeAll(async () => {
    backends = await startAgentBackends((upstream) => ({ openai: { type: 'openai', apiKey: 'sk-openai-upstream', baseURL: upstream.baseURL, listModels: false } }));
  });
  afterAll(() => backends?.close());
  beforeEach(() => backends.reset());

  const exec = (model: string, prompt: string) =>
    runAgent(codex!, ['exec', '--skip-git-repo-check', '--color', 'never', prompt], { ...codexHome(backends.gw.baseURL, model), GATEWAY_KEY: 'client-key', RUST_LOG: 'error' }, 60_000);

  function expectLoopFinished(run: { status: number | null; stdout: string; stderr: string }, answer: RegExp): void {
    expect(run.stderr).not.toMatch(/must be a string or array \(found null\)/);
    expect(run.status, `codex exited ${run.status}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(answer);
  }

  it('on Claude with thinking before its call', async () => {
    backends.upstream.enqueue({
      stream: { chunks: anthropicStreamEvents([{ thinking: { text: 'I should print hi.', signature: 'sig-ant-1' } }, { toolUse: { id: 'toolu_1', name: 'exec_command', input: { cmd: 'echo hi' } } }]), done: false },
    });
    const run = await exec('claude/claude-test', 'print hi');
    expectLoopFinished(run, /tool said: /);
    const turns = backends.upstream.requests.filter((r) => r.path.startsWith('/v1/messages'));
    expect(turns).toHaveLength(2);
    // and the signed thinking went back to Claude with its call
    expect(JSON.stringify(turns[1]!.body)).toContain('sig-ant-1');
  }, 90_000);

  it('on Gemini 3, whose function call is signed', async () => {
    backends.gemini.enqueue({ streamEvents: [geminiResponse([{ functionCall: { name: 'exec_command', args: { cmd: 'echo hi' } }, thoughtSignature: 'sig-gem-1' }], { finishReason: 'STOP' })] });
    const run = await exec('gem/gemini-mock-flash', 'print hi');
    expectLoopFinished(run, /tool results: /);
    const turns = backends.gemini.requests.filter((r) => r.path.includes('GenerateContent'));
    expect(turns).toHaveLength(2);
    expect(JSON.stringify(turns[1]!.body)).toContain('sig-gem-1');
  }, 90_000);

  it('on OpenAI itself (a reasoning model), passed through', async () => {
    backends.upstream.enqueue({
      stream: { chunks: responsesStreamEvents([{ reasoning: 'I should print hi.' }, { call: { callId: 'call_1', name: 'exec_command', arguments: '{"cmd":"echo hi"}' } }]), done: false },
    });
    const run = await exec('openai/gpt-mock', 'print hi');
    expectLoopFinished(run, /tool said: /);
    expect(backends.upstream.requests.filter((r) => r.path === '/v1/responses')).toHaveLength(2);
  }, 90_000);
});
