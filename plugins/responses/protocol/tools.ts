/**
 * Responses tools as chat tools. Function tools map one to one; a namespace tool (`NamespaceTool`,
 * a group of functions whose calls come back as `function_call` items naming their `namespace`) is
 * flattened into its functions, keeping a map so a call can be reported back under its namespace.
 * Hosted tools (`web_search`, `file_search`, `code_interpreter`, `computer_use_preview`,
 * `image_generation`, `mcp`, `local_shell`, `shell`, `apply_patch`, custom tools, ...) run inside
 * OpenAI's API only: they are left out and reported as losses of kind `tool`, so the model works
 * without them wherever the translation is what goes up.
 */
import type { TranslationLoss } from 'llm-gateway/plugin';
import type { ResponseFunctionTool, ResponseNamespaceTool, ResponseTool, ResponseToolChoice } from './types.js';

/** How the Responses API names a function: its name, and the namespace it belongs to, if any. */
export interface ResponsesToolName {
  readonly name: string;
  readonly namespace?: string;
}

/** The chat names of the request's functions, both ways. */
export class ToolNames {
  private readonly toResponses = new Map<string, ResponsesToolName>();
  private readonly toChat = new Map<string, string>();

  add(chatName: string, name: ResponsesToolName): void {
    this.toResponses.set(chatName, name);
    this.toChat.set(key(name), chatName);
  }

  has(chatName: string): boolean {
    return this.toResponses.has(chatName);
  }

  /** A chat tool call's name as the Responses API reports it. */
  responsesName(chatName: string): ResponsesToolName {
    return this.toResponses.get(chatName) ?? { name: chatName };
  }

  /** A Responses function's chat name (itself when the request does not declare it). */
  chatName(name: ResponsesToolName): string {
    return this.toChat.get(key(name)) ?? name.name;
  }
}

const key = (name: ResponsesToolName) => `${name.namespace ?? ''}\u0000${name.name}`;

export interface ChatTools {
  tools: Array<Record<string, unknown>>;
  names: ToolNames;
}

export function toChatTools(tools: readonly ResponseTool[], losses: TranslationLoss[]): ChatTools {
  const names = new ToolNames();
  const out: Array<Record<string, unknown>> = [];
  // Top-level functions keep their names; a namespaced function whose name is taken gets its namespace's prefix.
  const taken = new Set(tools.filter(isFunction).map((tool) => tool.name));
  const nextSuffix = new Map<string, number>();
  tools.forEach((tool, index) => {
    if (isFunction(tool)) {
      names.add(tool.name, { name: tool.name });
      out.push(chatTool(tool, tool.name));
    } else if (isNamespace(tool)) {
      tool.tools.forEach((inner, innerIndex) => {
        if (!isFunction(inner)) {
          losses.push(hostedLoss(`tools.${index}.tools.${innerIndex}`, inner.type));
          return;
        }
        const chatName = uniqueName(inner.name, tool.name, taken, nextSuffix);
        taken.add(chatName);
        names.add(chatName, { name: inner.name, namespace: tool.name });
        out.push(chatTool(inner, chatName));
      });
    } else {
      losses.push(hostedLoss(`tools.${index}`, tool.type));
    }
  });
  return { tools: out, names };
}

/**
 * `tool_choice` in chat terms. `allowed_tools` narrows the offered functions to the listed ones (the
 * same choice for the model); forcing a hosted tool cannot be honoured where it is left out.
 */
export function toChatToolChoice(choice: ResponseToolChoice, chat: ChatTools, losses: TranslationLoss[]): unknown {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function' && typeof choice.name === 'string') {
    return { type: 'function', function: { name: chat.names.chatName({ name: choice.name }) } };
  }
  if (choice.type === 'allowed_tools' && Array.isArray(choice.tools)) {
    const allowed = new Set(
      (choice.tools as Array<Record<string, unknown>>)
        .filter((tool) => tool.type === 'function' && typeof tool.name === 'string')
        .map((tool) => chat.names.chatName({ name: String(tool.name), ...(typeof tool.namespace === 'string' ? { namespace: tool.namespace } : {}) })),
    );
    chat.tools = chat.tools.filter((tool) => allowed.has(String((tool.function as { name: string }).name)));
    return choice.mode === 'required' ? 'required' : 'auto';
  }
  losses.push({ param: 'tool_choice', why: `forcing the tool '${choice.type}' is only possible with an OpenAI provider`, kind: 'content' });
  return undefined;
}

function chatTool(tool: ResponseFunctionTool, name: string): Record<string, unknown> {
  return {
    type: 'function',
    function: {
      name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.parameters ?? { type: 'object', properties: {} },
      ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
    },
  };
}

/**
 * `name`, or `<namespace>__<name>` when a top-level function (or another namespace) already has it,
 * then `_2`, `_3`... `next` keeps the suffix to try next for each prefixed name: names are only ever
 * added to `taken`, so those tried before are taken still, and a namespace of 15 000 functions all
 * named `f` costs a try each, not a search from the start each (quadratic, on the event loop).
 */
function uniqueName(name: string, namespace: string, taken: ReadonlySet<string>, next: Map<string, number>): string {
  if (!taken.has(name)) return name;
  const base = `${namespace}__${name}`;
  let n = next.get(base) ?? 1;
  let candidate = n === 1 ? base : `${base}_${n}`;
  while (taken.has(candidate)) candidate = `${base}_${++n}`;
  next.set(base, n + 1);
  return candidate;
}

function hostedLoss(param: string, type: string): TranslationLoss {
  return { param, why: `the tool '${type}' runs inside OpenAI's Responses API and is only available with an OpenAI provider`, kind: 'tool' };
}

function isFunction(tool: { type: string }): tool is ResponseFunctionTool {
  return tool.type === 'function' && typeof (tool as { name?: unknown }).name === 'string';
}

function isNamespace(tool: { type: string }): tool is ResponseNamespaceTool {
  return tool.type === 'namespace' && Array.isArray((tool as { tools?: unknown }).tools);
}
