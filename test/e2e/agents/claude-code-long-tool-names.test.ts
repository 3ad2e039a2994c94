/**
 * Claude Code with an MCP server whose tool names are long, routed to an OpenAI-format host or to
 * Gemini.
 *
 * Before its fix, what the user saw: Claude Code names an MCP tool `mcp__<server>__<tool>`, which easily passes 64
 * characters (here `mcp__github_enterprise_server__create_pull_request_review_comment_reply`, 71).
 * The gateway sends that name to the upstream as it is, and OpenAI answers every request with 400
 * "Invalid 'tools[n].function.name': string too long. Expected a string with maximum length 64"
 * (the same with Gemini): once such a server is configured, no prompt gets an answer at all, on any
 * model that is not Claude.
 *
 * The limits: OpenAI `FunctionDefinition.name` "Must be a-z, A-Z, 0-9, or contain underscores and
 * dashes, with a maximum length of 64" (openai-node resources/shared.d.ts); Gemini
 * `FunctionDeclaration.name` "Must be a-z, A-Z, 0-9, or contain underscores, colons, dots, and
 * dashes, with a maximum length of 64" (generativelanguage v1beta, FunctionDeclaration).
 * Nothing in the translation shortened a name (plugins/anthropic/protocol/to-openai-request.ts
 * tools, plugins/gemini/to-gemini-tools.ts translateTools copy `name` as it is).
 *
 * Right behaviour: a name the target cannot take goes up shortened (its first 55 characters and a
 * short hash of the whole name, unique within the request: plugins/anthropic/protocol/tool-names.ts),
 * and a call of it comes back to the client under the original name.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SentToolNames } from '../../../plugins/anthropic/protocol/tool-names.js';
import { agentBin, runAgent, startAgentBackends, type AgentBackends } from '../../support/agents.js';
import { geminiResponse } from '../../support/mock-gemini.js';

const claude = agentBin('claude');
const TOOL = 'mcp__github_enterprise_server__create_pull_request_review_comment_reply';
/** The name the upstream is given for TOOL. */
const standIn = new SentToolNames(() => []).sent(TOOL);

describe.skipIf(!claude)('Claude Code with a long MCP tool name', () => {
  let backends: AgentBackends;
  beforeAll(async () => {
    backends = await startAgentBackends();
  });
  afterAll(() => backends?.close());
  beforeEach(() => backends.reset());

  const ask = (model: string, prompt = 'say pong') => {
    const mcp = { mcpServers: { github_enterprise_server: { command: process.execPath, args: [join(__dirname, 'mcp-server.mjs')], env: { MCP_TOOLS: 'create_pull_request_review_comment_reply' } } } };
    return runAgent(claude!, ['-p', prompt, '--model', model, '--output-format', 'json', '--mcp-config', JSON.stringify(mcp), '--strict-mcp-config', '--allowedTools', TOOL], {
      ANTHROPIC_BASE_URL: backends.gw.url,
      ANTHROPIC_API_KEY: 'client-key',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // Claude Code offers MCP tools at once (no tool search), as it does once an upstream refused tool_reference.
      ENABLE_TOOL_SEARCH: 'false',
    }, 60_000);
  };

  it('reaches an OpenAI-format host with every function name within 64 characters', async () => {
    const run = await ask('oai/mock-small');
    expect(run.status, run.stderr).toBe(0);
    const sent = backends.upstream.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => (r.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []);
    expect(sent.length).toBeGreaterThan(0);
    const names = sent[0]!.map((t) => t.function.name);
    // Claude Code did offer the MCP tool (under some name)...
    expect(names.some((n) => n.startsWith('mcp__github_enterprise_server__'))).toBe(true);
    // ...and OpenAI would take every name.
    for (const name of names) expect(name, name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  }, 90_000);

  it('reaches Gemini with every function name within 64 characters', async () => {
    const run = await ask('gem/gemini-mock-flash');
    expect(run.status, run.stderr).toBe(0);
    const sent = backends.gemini.requests.filter((r) => r.path.includes('GenerateContent')).map((r) => (r.body as { tools?: Array<{ functionDeclarations?: Array<{ name: string }> }> }).tools ?? []);
    expect(sent.length).toBeGreaterThan(0);
    const names = sent[0]!.flatMap((t) => t.functionDeclarations ?? []).map((d) => d.name);
    expect(names.some((n) => n.startsWith('mcp__github_enterprise_server__'))).toBe(true);
    for (const name of names) expect(name, name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/);
  }, 90_000);

  it('reaches an Anthropic model with the name as Claude Code wrote it (passed through)', async () => {
    expect((await ask('claude/claude-test')).status).toBe(0);
    const sent = backends.upstream.requests.find((r) => r.path.startsWith('/v1/messages'))?.body as { tools?: Array<{ name: string }> };
    expect(sent.tools?.map((t) => t.name)).toContain(TOOL);
  }, 90_000);

  function result(run: { status: number | null; stdout: string; stderr: string }): string {
    expect(run.status, `claude exited ${run.status}\n${run.stderr}\n${run.stdout}`).toBe(0);
    return (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { result: string }).result;
  }

  it("runs the MCP tool an OpenAI-format model calls by the stand-in's name", async () => {
    // The mock upstream calls the tool the prompt names: Claude Code must see its own name to run it.
    const answer = result(await ask('oai/mock-small', `please call ${standIn}`));
    expect(answer).toBe('tool said: called create_pull_request_review_comment_reply');
    const turns = backends.upstream.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: Array<{ role: string; tool_calls?: Array<{ function: { name: string } }> }> });
    expect(turns).toHaveLength(2);
    // The call goes back up in the conversation under the stand-in the model knows.
    expect(turns[1]!.messages.find((m) => m.tool_calls)?.tool_calls?.[0]?.function.name).toBe(standIn);
  }, 90_000);

  it("runs the MCP tool a Gemini model calls by the stand-in's name", async () => {
    backends.gemini.enqueue({ streamEvents: [geminiResponse([{ functionCall: { name: standIn, args: { note: 'hi' } } }], { finishReason: 'STOP' })] });
    const answer = result(await ask('gem/gemini-mock-flash', 'reply to the review comment'));
    expect(answer).toContain('called create_pull_request_review_comment_reply');
    const turns = backends.gemini.requests.filter((r) => r.path.includes('GenerateContent'));
    expect(turns).toHaveLength(2);
    expect(JSON.stringify(turns[1]!.body)).toContain(`"name":"${standIn}"`);
  }, 90_000);
});
