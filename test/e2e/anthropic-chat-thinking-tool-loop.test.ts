/**
 * `@ai-sdk/openai`'s chat model (`openai.chat(...)`, as every OpenAI chat client) with
 * `providerOptions.openai.reasoningEffort` on a Claude model behind the gateway, in a tool loop.
 * The gateway turns `reasoning_effort` into Anthropic's `thinking` (plugins/anthropic/protocol/
 * from-openai-request.ts), Claude answers with a signed thinking block and a `tool_use`, and the
 * chat client sends the next step back as an OpenAI assistant message with `tool_calls` only: an
 * OpenAI chat client has no place for Anthropic's signed thinking blocks (the AI SDK's chat model
 * never reads `reasoning_content`/`thinking_blocks` and never sends them back).
 *
 * The gateway then sends Anthropic `thinking: enabled` with a last assistant turn that starts with
 * `tool_use`, which Anthropic refuses with a 400: "messages.1.content.0.type: Expected `thinking` or
 * `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message
 * must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result`
 * blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement,
 * disable `thinking`." (https://docs.claude.com/en/docs/build-with-claude/extended-thinking,
 * "Preserving thinking blocks"; the message is reported verbatim in many clients' issues, e.g.
 * mastra-ai/mastra#7799, anomalyco/opencode#3077.)
 *
 * Before its fix, what the user saw: step 2 of every tool loop fails with that 400 (the mock upstream here does not
 * validate, so the test checks the request the gateway sends).
 * Right behaviour: when the tool-use turn being continued has no thinking block to give back, send
 * the request without `thinking` (as Anthropic's message advises; `reasoning_effort` from an OpenAI
 * client is advisory), or refuse it under the provider's `unsupportedParams` policy, never send a
 * request Anthropic must refuse.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { anthropicMessage } from '../support/anthropic-wire.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  // `gpt-5` so that @ai-sdk/openai treats it as a reasoning model and sends `reasoning_effort`.
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } },
    models: { 'gpt-5': { targets: ['claude/claude-sonnet-4-5'] } },
  });
  openai = createOpenAI({ baseURL: gw.baseURL, apiKey: 'client-key' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  execute: async ({ city }) => `sunny in ${city}`,
});

describe('a chat client with reasoning_effort on Claude, tool loop', () => {
  it('step 2 is not sent with thinking enabled and a last assistant turn starting with tool_use', async () => {
    upstream.enqueue({
      body: anthropicMessage([{ thinking: { text: 'I should look it up.', signature: 'SIG-1' } }, { toolUse: { id: 'toolu_01', name: 'weather', input: { city: 'Paris' } } }], {
        model: 'claude-sonnet-4-5',
      }),
    });
    const result = await generateText({
      model: openai.chat('gpt-5'),
      prompt: 'call weather',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      providerOptions: { openai: { reasoningEffort: 'high' } },
    });
    expect(result.steps[0]?.toolCalls).toHaveLength(1);

    const bodies = upstream.requests.filter((r) => r.path === '/v1/messages').map((r) => r.body as { thinking?: { type: string }; messages: Array<{ role: string; content: Array<{ type: string }> }> });
    expect(bodies).toHaveLength(2);
    expect(bodies[0]?.thinking?.type).toBe('enabled');
    const second = bodies[1]!;
    const lastAssistant = second.messages.findLast((m) => m.role === 'assistant')!;
    const startsWithThinking = ['thinking', 'redacted_thinking'].includes(lastAssistant.content[0]?.type ?? '');
    // Anthropic's rule: thinking enabled => the continued tool-use turn starts with a thinking block.
    expect({ thinking: second.thinking?.type ?? 'off', lastAssistantStartsWith: lastAssistant.content[0]?.type }).toSatisfy(
      (seen: { thinking: string }) => seen.thinking !== 'enabled' || startsWithThinking,
    );
  });
});
