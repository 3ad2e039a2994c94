/**
 * Anthropic cannot think while its tool choice forces a call (`any` or a named tool: "Thinking may
 * not be enabled when tool_choice forces tool use"), so the translation refuses `reasoning_effort`
 * there (400 naming it) or, under `unsupportedParams: 'drop'`, leaves thinking out. Before its fix
 * only JSON mode's forced tool was checked: a client's own `tool_choice: 'required'` or named tool
 * with `reasoning_effort` went up and Anthropic refused it, even under 'drop' (a review of the
 * day's diff found it).
 */
import { describe, expect, it } from 'vitest';
import { toAnthropicRequest } from '../../../plugins/anthropic/protocol/from-openai-request.js';

const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
const options = { provider: 'claude', policy: 'drop' as const, defaultMaxTokens: 4096 };

describe('thinking beside a forced tool', () => {
  it("drops thinking under 'drop' when the client's own tool_choice is required", () => {
    const { body } = toAnthropicRequest({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'required', reasoning_effort: 'high' } as never, options);
    expect(body.tool_choice).toMatchObject({ type: 'any' });
    expect(body.thinking).toBeUndefined();
  });

  it("drops thinking under 'drop' with response_format and tool_choice required (the JSON tool left out)", () => {
    const { body } = toAnthropicRequest(
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'required', reasoning_effort: 'high', response_format: { type: 'json_object' } } as never,
      options,
    );
    expect(body.tool_choice).toMatchObject({ type: 'any' });
    expect(body.thinking).toBeUndefined();
  });

  it("refuses it with a 400 naming reasoning_effort under 'error', as the JSON-mode branch does", () => {
    expect(() =>
      toAnthropicRequest({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, reasoning_effort: 'high' } as never, { ...options, policy: 'error' }),
    ).toThrow(/reasoning_effort/);
  });
});
