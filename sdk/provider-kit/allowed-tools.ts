/**
 * OpenAI's `tool_choice: { type: 'allowed_tools', allowed_tools: { mode, tools } }` (openai-node
 * `ChatCompletionAllowedToolChoice`), read once for every adapter that translates it: the model
 * may call only the listed functions, `auto` (if it wants) or `required`. An adapter offers only
 * those and asks for its own auto or any-tool mode, as the Responses front-end translates the same
 * choice (plugins/responses/protocol/tools.ts `toChatToolChoice`).
 */
import { invalidRequest } from '../../core/errors.js';

export interface AllowedTools {
  mode: 'auto' | 'required';
  /** The functions listed, by name. */
  names: ReadonlySet<string>;
}

/** The choice's mode and functions; undefined for any other tool choice. A bad mode is a 400. */
export function allowedToolsOf(choice: unknown): AllowedTools | undefined {
  if (typeof choice !== 'object' || choice === null) return undefined;
  const { type, allowed_tools: allowed } = choice as { type?: unknown; allowed_tools?: { mode?: unknown; tools?: unknown } };
  if (type !== 'allowed_tools' || typeof allowed !== 'object' || allowed === null) return undefined;
  if (allowed.mode !== 'auto' && allowed.mode !== 'required') {
    throw invalidRequest(`tool_choice.allowed_tools.mode must be 'auto' or 'required'.`, 'tool_choice.allowed_tools.mode');
  }
  const names = new Set<string>();
  for (const tool of Array.isArray(allowed.tools) ? (allowed.tools as Array<{ type?: unknown; function?: { name?: unknown } } | null>) : []) {
    if (tool?.type === 'function' && typeof tool.function?.name === 'string') names.add(tool.function.name);
  }
  return { mode: allowed.mode, names };
}

/** `offered` narrowed to the allowed functions; a choice that names none of them is a 400. */
export function allowedOnly<T extends { name: string }>(offered: readonly T[] | undefined, allowed: AllowedTools): T[] {
  const narrowed = (offered ?? []).filter((tool) => allowed.names.has(tool.name));
  if (narrowed.length === 0) throw invalidRequest(`tool_choice.allowed_tools names none of the request's tools.`, 'tool_choice.allowed_tools.tools');
  return narrowed;
}
