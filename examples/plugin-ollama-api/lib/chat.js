// @ts-check
/**
 * `POST /api/chat`: Ollama's chat API (docs/api.md, "Generate a chat completion"), served by the
 * gateway's pipeline. Ollama's messages become OpenAI's:
 *
 * - `system`, `user` (its `images` as image parts), `assistant` (its `thinking` as
 *   `reasoning_content`, its `tool_calls` with arguments as JSON text and an id each) and `tool`.
 * - A tool message answers a call by `tool_call_id` when the client sends one; otherwise by
 *   `tool_name`, the latest unanswered call to that tool; otherwise the next unanswered call.
 *   Ollama's own clients name the tool, not the call: OpenAI's format needs the call's id.
 * - `tools` are the same shape in both APIs.
 *
 * The answer goes back as one JSON object (`stream: false`) or as newline-delimited JSON (the
 * default), in answer.js.
 */
import { defineFrontEnd, invalidRequest } from 'llm-gateway/plugin';
import { doneReason, metricsOf, ndjsonAnswer, toOllamaToolCalls } from './answer.js';
import { renderOllamaError } from './errors.js';
import { generationFields, imageParts, optionalString, record, requiredString } from './parse.js';

/** @typedef {import('llm-gateway/plugin').ChatCompletion} ChatCompletion */
/** @typedef {import('llm-gateway/plugin').ChatMessage} ChatMessage */
/** @typedef {import('llm-gateway/plugin').ToolCall} ToolCall */
/** @typedef {import('./wire.js').OllamaChatResponse} OllamaChatResponse */
/** @typedef {import('./answer.js').Piece} Piece */

/**
 * @typedef {object} ClientModel
 * @property {string} model The model name as the client wrote it, which every answer repeats.
 */

export const chatApi = defineFrontEnd(
  /** @type {import('llm-gateway/plugin').FrontEnd<ClientModel>} */ ({
    endpoint: 'ollama.chat',
    paths: ['/api/chat'],
    // GET /api/tags, /api/version and unknown /api paths fail in Ollama's format too.
    errorPaths: ['/api'],
    streamContentType: 'application/x-ndjson',
    parse(body) {
      const model = requiredString(body.model, 'model');
      const request = { model, messages: toOpenAIMessages(body.messages), ...generationFields(body), ...tools(body.tools) };
      return { operation: 'chat', request, state: { model } };
    },
    renderJson(ctx, answer, { model }) {
      const choice = /** @type {ChatCompletion} */ (answer).choices[0];
      const message = choice?.message;
      /** @type {OllamaChatResponse} */
      const out = {
        model,
        created_at: new Date().toISOString(),
        message: assistantMessage({
          content: typeof message?.content === 'string' ? message.content : '',
          ...(typeof message?.reasoning_content === 'string' && message.reasoning_content !== '' ? { thinking: message.reasoning_content } : {}),
          ...(message?.tool_calls?.length ? { toolCalls: toOllamaToolCalls(message.tool_calls) } : {}),
        }),
        done_reason: doneReason(choice?.finish_reason),
        done: true,
        ...metricsOf(ctx, /** @type {ChatCompletion} */ (answer).usage ?? ctx.usage),
      };
      return out;
    },
    renderStream: (ctx, chunks, { model }) =>
      ndjsonAnswer(ctx, chunks, {
        part: (piece) => ({ model, created_at: new Date().toISOString(), message: assistantMessage(piece), done: false }),
        last: (reason, metrics) => ({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done_reason: reason, done: true, ...metrics }),
      }),
    renderError: renderOllamaError,
  }),
);

/**
 * @param {Piece} piece
 * @returns {OllamaChatResponse['message']}
 */
function assistantMessage(piece) {
  return {
    role: 'assistant',
    content: piece.content ?? '',
    ...(piece.thinking ? { thinking: piece.thinking } : {}),
    ...(piece.toolCalls ? { tool_calls: piece.toolCalls } : {}),
  };
}

// ---- Messages ------------------------------------------------------------------------------------

/**
 * @param {unknown} messages
 * @returns {ChatMessage[]}
 */
function toOpenAIMessages(messages) {
  if (!Array.isArray(messages) || messages.length === 0) throw invalidRequest(`'messages' must be a non-empty array.`, 'messages');
  /** Calls made so far and not answered yet, oldest first. */
  /** @type {Array<{ id: string; name: string }>} */
  const unanswered = [];
  return messages.map((raw, index) => {
    const at = `messages[${index}]`;
    const message = record(raw, at);
    const content = optionalString(message.content, `${at}.content`) ?? '';
    switch (message.role) {
      case 'system':
        return { role: 'system', content };
      case 'user': {
        const images = imageParts(message.images, `${at}.images`);
        if (images.length === 0) return { role: 'user', content };
        return { role: 'user', content: [...(content !== '' ? [{ type: 'text', text: content }] : []), ...images] };
      }
      case 'assistant': {
        const calls = toolCalls(message.tool_calls, `${at}.tool_calls`, index);
        unanswered.push(...calls.map((call) => ({ id: call.id, name: call.function.name })));
        /** @type {ChatMessage} */
        const turn = { role: 'assistant', content: content === '' && calls.length > 0 ? null : content };
        const thinking = optionalString(message.thinking, `${at}.thinking`);
        if (thinking) turn.reasoning_content = thinking;
        if (calls.length > 0) turn.tool_calls = calls;
        return turn;
      }
      case 'tool': {
        const id = optionalString(message.tool_call_id, `${at}.tool_call_id`);
        const name = optionalString(message.tool_name, `${at}.tool_name`);
        const answered = id !== undefined ? unanswered.findIndex((call) => call.id === id) : name !== undefined ? unanswered.findLastIndex((call) => call.name === name) : 0;
        const call = unanswered[answered];
        if (!call && id === undefined) throw invalidRequest(`'${at}' is a tool result, but no earlier assistant message has a tool call it answers.`, at);
        if (call) unanswered.splice(answered, 1);
        return { role: 'tool', tool_call_id: id ?? /** @type {{ id: string }} */ (call).id, content };
      }
      default:
        throw invalidRequest(`'${at}.role' must be "system", "user", "assistant" or "tool" (found ${JSON.stringify(message.role)}).`, `${at}.role`);
    }
  });
}

/**
 * An assistant message's tool calls, with arguments as JSON text and an id each (the client's, or
 * one made from the message's position, stable across the turns of a conversation).
 * @param {unknown} value
 * @param {string} at
 * @param {number} messageIndex
 * @returns {ToolCall[]}
 */
function toolCalls(value, at, messageIndex) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest(`'${at}' must be an array.`, at);
  return value.map((raw, index) => {
    const call = record(raw, `${at}[${index}]`);
    const fn = record(call.function, `${at}[${index}].function`);
    const name = requiredString(fn.name, `${at}[${index}].function.name`);
    const args = fn.arguments === undefined || fn.arguments === null ? {} : fn.arguments;
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${messageIndex}_${index}`;
    return { id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } };
  });
}

/**
 * @param {unknown} value
 * @returns {{ tools?: unknown[] }}
 */
function tools(value) {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw invalidRequest(`'tools' must be an array.`, 'tools');
  value.forEach((tool, index) => {
    const fn = record(record(tool, `tools[${index}]`).function, `tools[${index}].function`);
    requiredString(fn.name, `tools[${index}].function.name`);
  });
  return value.length > 0 ? { tools: value.map((tool) => ({ type: 'function', function: tool.function })) } : {};
}

