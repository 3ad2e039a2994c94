/**
 * An OpenAI chat request's `tools` and `tool_choice` as Anthropic's, for from-openai-request.ts.
 *
 * `tool_choice: { type: 'allowed_tools', allowed_tools: { mode, tools } }` (openai-node
 * `ChatCompletionAllowedToolChoice`) narrows the offered tools to the listed functions, then asks
 * for `auto` or `required`: the model sees only what it may call, as the Responses front-end
 * translates the same choice (plugins/responses/protocol/tools.ts `toChatToolChoice`).
 */
import { allowedOnly, allowedToolsOf, invalidRequest } from 'llm-gateway/provider-kit';
import type { AnthropicTool, AnthropicToolChoice } from './types.js';

export function translateTools(tools: unknown[], provider: string): AnthropicTool[] {
  return tools.map((tool, index) => {
    const fn = (tool as { type?: string; function?: { name?: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null } }).function;
    if ((tool as { type?: string }).type !== 'function' || !fn?.name) {
      throw invalidRequest(`${provider} accepts only function tools (tools[${index}]).`, `tools[${index}]`, 'unsupported_parameter');
    }
    return {
      name: fn.name,
      ...(fn.description ? { description: fn.description } : {}),
      input_schema: fn.parameters ?? { type: 'object', properties: {} },
      // Anthropic's tools have the same switch: the call's input is validated against the schema
      // (only `true` is sent: `false` is the default, and a model without strict tool use need not meet it).
      ...(fn.strict === true ? { strict: true } : {}),
    };
  });
}

/** The client's tool choice in Anthropic terms, and the tools to offer (narrowed by `allowed_tools`). */
export function translateToolChoice(
  choice: unknown,
  parallel: unknown,
  tools: AnthropicTool[] | undefined,
  provider: string,
): { choice: AnthropicToolChoice | undefined; tools: AnthropicTool[] | undefined } {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  const keep = (translated: AnthropicToolChoice | undefined) => ({ choice: translated, tools });
  if (choice === undefined || choice === null) return keep(parallel === false ? { type: 'auto', ...noParallel } : undefined);
  if (choice === 'none') return keep({ type: 'none' });
  if (choice === 'auto') return keep({ type: 'auto', ...noParallel });
  if (choice === 'required') return keep({ type: 'any', ...noParallel });
  const allowed = allowedToolsOf(choice);
  if (allowed) return { choice: { type: allowed.mode === 'required' ? 'any' : 'auto', ...noParallel }, tools: allowedOnly(tools, allowed) };
  const name = (choice as { function?: { name?: string } }).function?.name;
  if (name) return keep({ type: 'tool', name, ...noParallel });
  throw invalidRequest(`${provider} cannot honour this tool_choice.`, 'tool_choice', 'unsupported_parameter');
}
