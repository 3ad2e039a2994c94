/**
 * An OpenAI chat request as a Gemini `generateContent` body.
 *
 * What maps, and how:
 * - system/developer messages → `systemInstruction`; user → `user` turns; assistant → `model` turns
 *   (tool calls as `functionCall` parts, parallel calls in one turn); tool results → `functionResponse`
 *   parts in one `user` turn per run of consecutive tool messages, named after the call they answer
 *   (Gemini matches responses by function name; OpenAI by tool_call id, which Gemini never sees).
 * - content parts: text; images as data URLs → `inlineData`, as http(s) URLs → `fileData` (Gemini
 *   fetches public URLs itself); `input_audio` and `file` data URLs → `inlineData`.
 * - tools → `functionDeclarations` with `parametersJsonSchema`, which takes JSON Schema as OpenAI
 *   tools carry it (`additionalProperties` included), so no conversion to the OpenAPI subset of
 *   `parameters` is needed; tool_choice → `toolConfig.functionCallingConfig` (to-gemini-tools.ts).
 * - sampling and output settings → `generationConfig`; `response_format` → `responseMimeType` and
 *   `responseJsonSchema`, except beside function tools on a model before Gemini 3, which refuses
 *   JSON output with function calling: there the answer is a function of its own, forced with the
 *   client's (answer-function.ts); `reasoning_effort` → `thinkingConfig` with `includeThoughts`, so
 *   the reasoning comes back as `reasoning_content`.
 * - A tool call's `extra_content.google.thought_signature` (set by from-gemini.ts, the convention
 *   of Google's own OpenAI-compatible endpoint) goes back on its `functionCall` part: Gemini 3
 *   refuses a function-calling turn whose signatures are missing.
 *
 * `parallel_tool_calls: false` has no Gemini switch; it is kept on the way back, an answer cut to its
 * first function call (gemini.ts). What does not map (logit_bias, file ids, unknown fields) is
 * refused with a 400 naming the provider and the field, or left out under `unsupportedParams: 'drop'`.
 *
 * Checked against Google's documentation:
 * - https://ai.google.dev/api/generate-content (request, GenerationConfig, streaming with alt=sse)
 * - https://ai.google.dev/api/caching#Content (Content, Part, Blob, FileData, FunctionCall, FunctionResponse)
 * - https://ai.google.dev/gemini-api/docs/function-calling (functionDeclarations, functionCallingConfig modes, functionResponse turns)
 * - https://ai.google.dev/gemini-api/docs/thought-signatures (signatures must come back on function calls)
 * - https://ai.google.dev/gemini-api/docs/thinking (thinkingBudget, includeThoughts, thought parts)
 * - https://ai.google.dev/gemini-api/docs/structured-output (responseMimeType, responseJsonSchema and its supported keywords; with tools from Gemini 3)
 * - https://ai.google.dev/gemini-api/docs/file-input-methods (inline data, external https URLs in fileData)
 * - https://ai.google.dev/gemini-api/docs/audio (audio MIME types)
 * - https://ai.google.dev/gemini-api/docs/troubleshooting (error statuses)
 */
import { TOOL_ERROR_PREFIX, type ChatCompletionRequest, type ChatMessage, invalidRequest } from 'llm-gateway/plugin';
import { type UnsupportedParamsPolicy, rejectUnsupported } from 'llm-gateway/provider-kit';
import { issuedCallId } from './from-gemini.js';
import { thoughtSignatureOf } from './signatures.js';
import { type AnswerRoute, answerRoute, withAnswerFunction } from './answer-function.js';
import { applyResponseFormat, type JsonFormat, readResponseFormat, translateToolChoice, translateTools } from './to-gemini-tools.js';
import type { GeminiContent, GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './wire.js';

export interface ToGeminiOptions {
  /** Provider id, named in every refusal. */
  provider: string;
  policy: UnsupportedParamsPolicy;
  /** `answerRoute(request)`, where the caller has worked it out already (it reads the answer back by it). */
  route?: AnswerRoute;
}

/**
 * Gemini 3 refuses a turn whose function calls came back without their thought signature (400
 * "Function call is missing a thought_signature"), and not every client carries one back: an
 * Anthropic client that drops the thinking block the gateway carries it in (a `tool_use` block has
 * no place for it: plugins/anthropic/protocol/carried-call-data.ts), a chat client that drops
 * `extra_content`. Google documents this
 * value for calls whose signature is not at hand (history from another model, calls the client
 * wrote): the call is accepted, without the reasoning the signature stood for.
 * https://ai.google.dev/gemini-api/docs/thought-signatures
 */
export const STAND_IN_SIGNATURE = 'skip_thought_signature_validator';

/** Models before Gemini 3 do not check signatures: they get none made up. */
function checksSignatures(model: string): boolean {
  return !/^(?:models\/)?(?:gemini-[12][.-]|gemma)/i.test(model);
}

interface MessageOptions extends ToGeminiOptions {
  /** Give a model turn whose calls have no signature the stand-in (Gemini 3 and later). */
  standIn: boolean;
}

/**
 * Thinking budgets for OpenAI's `reasoning_effort`. Budgets rather than Gemini 3's `thinkingLevel`:
 * Gemini 2.5 models accept only budgets, Gemini 3 models accept them too (for backward
 * compatibility), while not every Gemini 3 model accepts every level. `none` turns thinking off
 * where the model allows it (2.5 Pro does not, and answers 400). `xhigh` and `max` (Codex CLI sends
 * `xhigh`) get the largest budget every 2.5 model accepts (Flash stops at 24,576).
 */
export const THINKING_BUDGET: Readonly<Record<string, number>> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24_576, xhigh: 24_576, max: 24_576 };

/** OpenAI fields that change nothing about the answer and have no Gemini counterpart. */
const IGNORED = new Set(['model', 'messages', 'stream', 'stream_options', 'store', 'metadata', 'service_tier', 'prompt_cache_key', 'safety_identifier', 'user']);

/** MIME types by file extension, for image URLs (Gemini requires `fileData.mimeType`). */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

export function toGeminiRequest(request: ChatCompletionRequest, options: ToGeminiOptions): GeminiRequest {
  const { provider, policy } = options;
  const { systemInstruction, contents } = translateMessages(request.messages, { ...options, standIn: checksSignatures(String(request.model ?? '')) });
  const body: GeminiRequest = { contents };
  if (systemInstruction) body.systemInstruction = systemInstruction;
  const config: GeminiGenerationConfig = {};
  let declarations: GeminiFunctionDeclaration[] | undefined;
  let format: JsonFormat | undefined;

  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null || IGNORED.has(field)) continue;
    switch (field) {
      case 'temperature':
        config.temperature = Number(value);
        break;
      case 'top_p':
        config.topP = Number(value);
        break;
      case 'top_k':
        config.topK = Number(value);
        break;
      case 'seed':
        config.seed = Number(value);
        break;
      case 'presence_penalty':
        config.presencePenalty = Number(value);
        break;
      case 'frequency_penalty':
        config.frequencyPenalty = Number(value);
        break;
      case 'max_tokens':
      case 'max_completion_tokens':
        // max_completion_tokens (the newer name) wins when a client sends both.
        if (field === 'max_completion_tokens' || request.max_completion_tokens == null) config.maxOutputTokens = Number(value);
        break;
      case 'n':
        if (Number(value) !== 1) config.candidateCount = Number(value);
        break;
      case 'stop': {
        const stops = (Array.isArray(value) ? value : [value]).filter((s): s is string => typeof s === 'string' && s !== '');
        if (stops.length > 0) config.stopSequences = stops;
        break;
      }
      case 'response_format':
        format = readResponseFormat(value, options);
        break; // below, once it is known whether the model takes it beside the tools
      case 'reasoning_effort': {
        const budget = THINKING_BUDGET[String(value)];
        if (budget === undefined) {
          rejectUnsupported(policy, provider, 'reasoning_effort', `'${String(value)}' is not none, minimal, low, medium, high, xhigh or max`);
        } else {
          // Thought summaries are asked for so the reasoning can be returned as reasoning_content.
          config.thinkingConfig = budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true };
        }
        break;
      }
      case 'logprobs':
        if (value === true) config.responseLogprobs = true;
        break;
      case 'top_logprobs':
        config.logprobs = Number(value);
        break;
      case 'tools':
        declarations = translateTools(value, options);
        break;
      case 'tool_choice':
        break; // below, once the tools are known
      case 'parallel_tool_calls':
        break; // Gemini has no such switch: `false` is kept by cutting the answer to its first call (gemini.ts)
      case 'logit_bias':
        if (typeof value === 'object' && Object.keys(value).length > 0) rejectUnsupported(policy, provider, 'logit_bias', 'Gemini has no token biasing');
        break;
      case 'modalities':
        if (!Array.isArray(value) || value.some((m) => m !== 'text')) rejectUnsupported(policy, provider, 'modalities', 'only text output is supported through this adapter');
        break;
      default:
        rejectUnsupported(policy, provider, field, 'the Gemini API has no such parameter');
    }
  }

  if (config.logprobs !== undefined && !config.responseLogprobs) delete config.logprobs; // OpenAI ignores top_logprobs without logprobs
  // Gemini before 3 refuses JSON output beside function declarations (answer-function.ts).
  const route = format ? (options.route ?? answerRoute(request)) : { kind: 'native' as const };
  if (format && route.kind === 'native') applyResponseFormat(format, config);
  if (declarations && declarations.length > 0) {
    let tools = translateToolChoice(request.tool_choice, declarations, provider);
    if (format && route.kind === 'function') {
      tools = withAnswerFunction(tools.declarations, tools.toolConfig, { name: route.name, schema: format.schema ?? { type: 'object' }, ...(format.description ? { description: format.description } : {}) });
    }
    body.tools = [{ functionDeclarations: tools.declarations }];
    if (tools.toolConfig) body.toolConfig = tools.toolConfig;
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}

// ---- Messages ------------------------------------------------------------------------------------

function translateMessages(messages: readonly ChatMessage[], options: MessageOptions): { systemInstruction?: GeminiContent; contents: GeminiContent[] } {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  /** tool_call id → function name, from the assistant turns seen so far (a later turn may reuse an id). */
  const callNames = new Map<string, string>();
  /** The `user` turn collecting the current run of tool results, if the last message was one. */
  let toolTurn: GeminiContent | undefined;

  messages.forEach((message, index) => {
    const at = `messages[${index}]`;
    if (message.role !== 'tool' && message.role !== 'function') toolTurn = undefined;
    switch (message.role) {
      case 'system':
      case 'developer':
        // Gemini takes one system instruction, of text: every system message adds to it, in order.
        for (const part of contentParts(message.content, at, options)) {
          if (part.text !== undefined) system.push(part);
          else rejectUnsupported(options.policy, options.provider, `${at}.content`, 'Gemini system instructions take text only');
        }
        break;
      case 'user': {
        const parts = contentParts(message.content, at, options);
        if (parts.length > 0) contents.push({ role: 'user', parts });
        break;
      }
      case 'assistant': {
        const parts = assistantParts(message, at, options);
        for (const call of message.tool_calls ?? []) callNames.set(String(call.id), call.function.name);
        if (parts.length > 0) contents.push({ role: 'model', parts });
        break;
      }
      case 'tool':
      case 'function': {
        const name = message.role === 'tool' ? callNames.get(String(message.tool_call_id ?? '')) ?? message.name : message.name;
        if (!name) {
          throw invalidRequest(
            `${options.provider} needs the function name of every tool result: ${at}.tool_call_id does not match a tool call of an earlier assistant message.`,
            `${at}.tool_call_id`,
          );
        }
        const id = message.role === 'tool' ? issuedCallId(message.tool_call_id) : undefined;
        const part: GeminiPart = { functionResponse: { ...(id ? { id } : {}), name, response: functionResponse(message.content) } };
        if (toolTurn) toolTurn.parts.push(part);
        else {
          toolTurn = { role: 'user', parts: [part] };
          contents.push(toolTurn);
        }
        break;
      }
      default:
        throw invalidRequest(`${options.provider} does not support messages with role '${String(message.role)}'.`, `${at}.role`, 'unsupported_parameter');
    }
  });
  // Gemini requires a turn (`contents` is required, and an empty one is refused); OpenAI answers a
  // conversation of system messages alone. Its instructions are then the one turn.
  if (contents.length === 0 && system.length > 0) return { contents: [{ role: 'user', parts: system }] };
  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}

/** A model turn: its text first, then one functionCall part per tool call. Reasoning is not sent back. */
function assistantParts(message: ChatMessage, at: string, options: MessageOptions): GeminiPart[] {
  const parts = contentParts(message.content, at, options).filter((part) => part.text !== '');
  (message.tool_calls ?? []).forEach((call, index) => {
    if (typeof call.function?.name !== 'string' || call.function.name === '') {
      throw invalidRequest(`The tool call at ${at}.tool_calls[${index}] has no function name.`, `${at}.tool_calls[${index}].function.name`);
    }
    const id = issuedCallId(call.id);
    const part: GeminiPart = { functionCall: { ...(id ? { id } : {}), name: call.function.name, args: parseArguments(call.function.arguments, `${at}.tool_calls[${index}].function.arguments`) } };
    const signature = thoughtSignatureOf(call);
    if (signature) part.thoughtSignature = signature;
    parts.push(part);
  });
  // The signature goes on the turn's first call (Gemini signs only that one of parallel calls).
  const firstCall = parts.find((part) => part.functionCall);
  if (options.standIn && firstCall && !parts.some((part) => part.thoughtSignature)) firstCall.thoughtSignature = STAND_IN_SIGNATURE;
  return parts;
}

/**
 * A tool result as the JSON object Gemini requires. A result that is itself a JSON object is sent
 * as it is (so `{"error": ...}` reads as an error, as Google suggests); a failed tool's (marked by
 * TOOL_ERROR_PREFIX, as from an Anthropic client's `is_error`) is `{ error: ... }`, the key Gemini's
 * reference names for error details; anything else is wrapped as `{ result: ... }`.
 */
function functionResponse(content: ChatMessage['content']): Record<string, unknown> {
  const text = typeof content === 'string' ? content : (content ?? []).filter((part) => part.type === 'text').map((part) => String(part.text ?? '')).join('\n');
  if (text.startsWith(TOOL_ERROR_PREFIX)) return { error: text.slice(TOOL_ERROR_PREFIX.length) };
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Plain text: sent as a string.
  }
  return isRecord(value) ? value : { result: value };
}

function contentParts(content: ChatMessage['content'], at: string, options: ToGeminiOptions): GeminiPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: GeminiPart[] = [];
  content.forEach((part, index) => {
    const translated = contentPart(part, `${at}.content[${index}]`, options);
    if (translated) parts.push(translated);
  });
  return parts;
}

function contentPart(part: Record<string, unknown>, at: string, options: ToGeminiOptions): GeminiPart | undefined {
  switch (part.type) {
    case 'text':
    case 'refusal': // an assistant's earlier refusal is just text to the model
      return { text: String(part.text ?? part.refusal ?? '') };
    case 'image_url': {
      const url = String((isRecord(part.image_url) ? part.image_url.url : undefined) ?? '');
      const data = parseDataUrl(url);
      if (data) return { inlineData: { mimeType: data.mimeType, data: data.data } };
      if (/^https?:\/\//i.test(url) || /^gs:\/\//i.test(url)) return { fileData: { fileUri: url, mimeType: guessMimeType(url) } };
      throw invalidRequest(`The image at ${at} is neither a data URL nor an http(s) URL.`, at);
    }
    case 'input_audio': {
      const audio = isRecord(part.input_audio) ? part.input_audio : {};
      if (typeof audio.data !== 'string') throw invalidRequest(`The audio at ${at} has no data.`, at);
      return { inlineData: { mimeType: `audio/${String(audio.format ?? 'wav')}`, data: audio.data } };
    }
    case 'file': {
      const file = isRecord(part.file) ? part.file : {};
      const data = typeof file.file_data === 'string' ? parseDataUrl(file.file_data) : undefined;
      if (data) return { inlineData: { mimeType: data.mimeType, data: data.data } };
      rejectUnsupported(options.policy, options.provider, at, 'only files given inline as data URLs can be sent to Gemini');
      return undefined;
    }
    default:
      rejectUnsupported(options.policy, options.provider, at, `content of type '${String(part.type)}' has no Gemini equivalent`);
      return undefined;
  }
}

// ---- Small helpers -------------------------------------------------------------------------------

function parseArguments(text: unknown, at: string): Record<string, unknown> {
  if (isRecord(text)) return text; // some clients send the arguments as an object, not a JSON string
  if (text === undefined || text === null || (typeof text === 'string' && text.trim() === '')) return {};
  if (typeof text !== 'string') throw invalidRequest(`The tool call arguments at ${at} must be a JSON string.`, at);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest(`The tool call arguments at ${at} are not valid JSON.`, at);
  }
  if (!isRecord(value)) throw invalidRequest(`The tool call arguments at ${at} must be a JSON object.`, at);
  return value;
}

/** `data:image/png;base64,...` → its MIME type and base64 data. */
export function parseDataUrl(url: string): { mimeType: string; data: string } | undefined {
  const match = /^data:([^;,]+)(?:;[^,;]+)*;base64,(.*)$/s.exec(url);
  return match ? { mimeType: match[1] as string, data: match[2] as string } : undefined;
}

/**
 * The MIME type of a file URL, from its extension (query and fragment ignored). An image URL
 * without a known extension is sent as image/jpeg: Gemini requires a MIME type, and the docs give
 * no default; JPEG is the most common kind of image on the web.
 */
export function guessMimeType(url: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (extension && MIME_BY_EXTENSION[extension]) || 'image/jpeg';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
