/**
 * OpenAI's `response_format` beside function tools, for models that cannot take both.
 *
 * Gemini before 3 refuses JSON output (`responseMimeType: 'application/json'`, with or without a
 * schema) beside function declarations: 400 INVALID_ARGUMENT "Function calling with a response mime
 * type: 'application/json' is unsupported". Structured outputs with tools came with Gemini 3
 * (https://ai.google.dev/gemini-api/docs/structured-output#structured_outputs_with_tools). An agent
 * with tools and an output schema (the OpenAI Agents SDK's `outputType`) sends both on every turn,
 * so for the other models the answer goes through a function of its own, as the anthropic adapter
 * does (plugins/anthropic/protocol/answer-format.ts):
 *
 * - declared beside the client's functions, its parameters the answer's schema (`{type: 'object'}`
 *   for JSON mode, whose MIME type Gemini refuses just the same), and the model made to call some
 *   function (mode ANY): one of the client's, or the answer. With `tool_choice: 'none'` only the
 *   answer may be called.
 * - on the way back, a call to it is the assistant's text (its arguments as JSON), not a tool call
 *   (`separateAnswer`).
 * - where the client requires a call of its own tools (`required`, a named function, `allowed_tools`
 *   in `required` mode), the answer is a call, which no output format shapes: the format is left
 *   out, so the request is one Gemini takes.
 *
 * Gemini 3 and later (by the model's name) keep the native JSON output. Other names (aliases such as
 * `gemini-flash-latest`, tuned models) get the function, which every model takes.
 */
import type { ChatCompletionRequest, ToolCall } from 'llm-gateway/plugin';
import { thoughtSignatureOf, withThoughtSignature } from './signatures.js';
import type { GeminiFunctionDeclaration, GeminiToolConfig } from './wire.js';

/** The answer function's name, unless a client tool has it (`answerFunctionName`). */
export const ANSWER_FUNCTION = 'json_response';

/** How a request's `response_format` reaches Gemini. */
export type AnswerRoute =
  /** `responseMimeType` (and `responseJsonSchema`): no tools, plain text, or a model that takes both. */
  | { kind: 'native' }
  /** A function whose arguments are the answer. */
  | { kind: 'function'; name: string }
  /** Left out: the client requires a call of its own tools, and the model cannot take both. */
  | { kind: 'left-out' };

export function answerRoute(request: ChatCompletionRequest): AnswerRoute {
  const format = request.response_format as { type?: unknown } | undefined | null;
  if (format?.type !== 'json_object' && format?.type !== 'json_schema') return { kind: 'native' };
  const names = functionNames(request.tools);
  if (names.length === 0 || takesJsonBesideFunctions(String(request.model ?? ''))) return { kind: 'native' };
  if (requiresOwnCall(request.tool_choice)) return { kind: 'left-out' };
  return { kind: 'function', name: freeName(names) };
}

/** Gemini 3 and later take JSON output beside function calling: a name whose major version is 3 or more. */
export function takesJsonBesideFunctions(model: string): boolean {
  const major = /^(?:models\/)?gemini-(\d+)(?:[.-]|$)/i.exec(model)?.[1];
  return major !== undefined && Number(major) >= 3;
}

/**
 * The client's declarations with the answer function added, and the calling mode that makes the
 * model answer through some function. `toolConfig` is the client's own choice, translated: NONE
 * (no tool of theirs may be called) leaves only the answer allowed; AUTO or none given becomes ANY.
 */
export function withAnswerFunction(
  declarations: GeminiFunctionDeclaration[],
  toolConfig: GeminiToolConfig | undefined,
  answer: { name: string; schema: Record<string, unknown>; description?: string },
): { declarations: GeminiFunctionDeclaration[]; toolConfig: GeminiToolConfig } {
  // The model must call some function every turn: this says which one ends the turn, and with what
  // (the client's own description of the answer, if any, after it).
  const why = 'Give your final answer by calling this function: its arguments are the answer. Call it only once you need no other function.';
  const declaration: GeminiFunctionDeclaration = {
    name: answer.name,
    description: answer.description ? `${why} The answer: ${answer.description}` : why,
    parametersJsonSchema: answer.schema,
  };
  const onlyAnswer = toolConfig?.functionCallingConfig?.mode === 'NONE';
  return {
    declarations: [...declarations, declaration],
    toolConfig: { functionCallingConfig: onlyAnswer ? { mode: 'ANY', allowedFunctionNames: [answer.name] } : { mode: 'ANY' } },
  };
}

/**
 * A candidate's function calls split into the answer (the JSON arguments of calls to the answer
 * function, which the client gets as text) and the client's tool calls. A thought signature on an
 * answer call moves to the first client call when that has none: Gemini signs a turn's first call
 * only, and a turn that goes on (the client's calls answered next) is refused by Gemini 3 without
 * it; the answer itself comes back as text, which has no place for one. `signature` is what found
 * no call here (a stream may bring the client's calls in a later event).
 */
export function separateAnswer(calls: readonly ToolCall[], name: string | undefined): { answer: string; toolCalls: ToolCall[]; signature: string | undefined } {
  if (name === undefined) return { answer: '', toolCalls: [...calls], signature: undefined };
  let answer = '';
  let signature: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const call of calls) {
    if (call.function.name !== name) toolCalls.push(call);
    else if (answer === '') {
      // One answer: a second call's arguments after the first would make the content no JSON at all.
      answer = call.function.arguments;
      signature = thoughtSignatureOf(call);
    }
  }
  if (signature !== undefined && toolCalls[0]) {
    if (thoughtSignatureOf(toolCalls[0]) === undefined) toolCalls[0] = withThoughtSignature(toolCalls[0], signature);
    signature = undefined;
  }
  return { answer, toolCalls, signature };
}

/** The names of the function tools that will be declared (as to-gemini-tools.ts `translateTools` reads them). */
function functionNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool: unknown) => {
    const fn = (tool as { type?: unknown; function?: { name?: unknown } } | null)?.type === 'function' ? (tool as { function?: { name?: unknown } }).function : undefined;
    return typeof fn?.name === 'string' && fn.name !== '' ? [fn.name] : [];
  });
}

/** Whether `tool_choice` requires a call of the client's own tools. */
function requiresOwnCall(choice: unknown): boolean {
  if (choice === 'required') return true;
  if (typeof choice !== 'object' || choice === null) return false;
  const record = choice as { type?: unknown; function?: { name?: unknown }; allowed_tools?: { mode?: unknown } };
  if (record.type === 'allowed_tools') return record.allowed_tools?.mode === 'required';
  return typeof record.function?.name === 'string';
}

/**
 * `json_response`, or `json_response_2`, `_3`... when a client tool already has the name. A Set: a
 * client can declare tens of thousands of tools named `json_response_N`, and a search of the list
 * per candidate would be quadratic in them, on the event loop every request shares.
 */
function freeName(names: readonly string[]): string {
  const taken = new Set(names);
  let name = ANSWER_FUNCTION;
  for (let n = 2; taken.has(name); n++) name = `${ANSWER_FUNCTION}_${n}`;
  return name;
}
