// @ts-check
/**
 * An OpenAI chat request as a Cohere v2 `POST /v2/chat` body.
 *
 * What maps, and how (https://docs.cohere.com/reference/chat):
 * - the leading system/developer messages → one `system` turn (Cohere takes a system turn only
 *   first: "system turn must be the first in the list", https://docs.cohere.com/errors-reference;
 *   a later one is refused, or dropped under the policy); user → `user` (text, and `image_url` parts as Cohere takes them,
 *   https://docs.cohere.com/docs/image-inputs); assistant → `assistant` with `tool_calls`, its text
 *   as `tool_plan` when it calls tools (what Cohere itself sends back in that turn,
 *   https://docs.cohere.com/v2/docs/tool-use-usage-patterns); tool → `tool` with `tool_call_id`.
 * - tools → `tools` (the same `{type: 'function', function}` shape); a `strict` function →
 *   `strict_tools: true`; tool_choice `required`/`none` → `REQUIRED`/`NONE`; a named function →
 *   `REQUIRED` with only that tool offered (Cohere cannot pin a tool, so it is the only one left).
 * - temperature, seed, frequency_penalty, presence_penalty as they are; top_p → `p`; top_k → `k`;
 *   max_tokens / max_completion_tokens → `max_tokens`; stop → `stop_sequences`.
 * - response_format `json_object` → `{type: 'json_object'}`, `json_schema` → the same with its
 *   `json_schema`; reasoning_effort `none` → `thinking: {type: 'disabled'}`, any other → enabled.
 *
 * What does not (n > 1, logit_bias, logprobs, parallel_tool_calls: false, audio, files, unknown
 * fields) is refused with a 400 naming the provider and the field, or left out under
 * `unsupportedParams: 'drop'` (`rejectUnsupported`).
 */
import { invalidRequest, rejectUnsupported } from 'llm-gateway/provider-kit';

/** @typedef {import('llm-gateway/provider-kit').ChatCompletionRequest} ChatCompletionRequest */
/** @typedef {import('llm-gateway/provider-kit').ChatMessage} ChatMessage */
/** @typedef {import('llm-gateway/provider-kit').UnsupportedParamsPolicy} UnsupportedParamsPolicy */
/** @typedef {import('./wire.js').CohereChatRequest} CohereChatRequest */
/** @typedef {import('./wire.js').CohereMessage} CohereMessage */
/** @typedef {import('./wire.js').CohereTool} CohereTool */
/** @typedef {import('./wire.js').CohereTextContent} CohereTextContent */
/** @typedef {import('./wire.js').CohereImageContent} CohereImageContent */

/**
 * @typedef {object} Translation
 * @property {string} provider The provider id, named in every refusal.
 * @property {UnsupportedParamsPolicy} policy
 */

/** OpenAI fields that change nothing about the answer, or that the adapter handles itself. */
const IGNORED = new Set(['model', 'messages', 'stream', 'stream_options', 'store', 'metadata', 'service_tier', 'prompt_cache_key', 'safety_identifier', 'user']);

/**
 * @param {ChatCompletionRequest} request
 * @param {Translation} options
 * @returns {CohereChatRequest}
 */
export function toCohereRequest(request, options) {
  const { provider, policy } = options;
  /** @type {CohereChatRequest} */
  const body = { model: request.model, messages: toCohereMessages(request.messages, options) };
  /** @type {CohereTool[] | undefined} */
  let tools;

  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null || IGNORED.has(field)) continue;
    switch (field) {
      case 'temperature':
      case 'seed':
      case 'frequency_penalty':
      case 'presence_penalty':
        body[field] = Number(value);
        break;
      case 'top_p':
        body.p = Number(value);
        break;
      case 'top_k':
        body.k = Number(value);
        break;
      case 'max_tokens':
      case 'max_completion_tokens':
        // max_completion_tokens (the newer name) wins when a client sends both.
        if (field === 'max_completion_tokens' || request.max_completion_tokens == null) body.max_tokens = Number(value);
        break;
      case 'stop': {
        const stops = (Array.isArray(value) ? value : [value]).filter((s) => typeof s === 'string' && s !== '');
        if (stops.length > 0) body.stop_sequences = stops;
        break;
      }
      case 'n':
        if (Number(value) !== 1) rejectUnsupported(policy, provider, 'n', 'Cohere answers with one choice per request');
        break;
      case 'logit_bias':
        if (typeof value === 'object' && Object.keys(value).length > 0) rejectUnsupported(policy, provider, 'logit_bias', 'Cohere has no token biasing');
        break;
      case 'logprobs':
      case 'top_logprobs':
        if (value !== false && value !== 0) rejectUnsupported(policy, provider, field, 'Cohere log probabilities are not translated by this adapter');
        break;
      case 'parallel_tool_calls':
        if (value === false) rejectUnsupported(policy, provider, 'parallel_tool_calls', 'Cohere cannot be told to call one tool at a time');
        break;
      case 'modalities':
        if (!Array.isArray(value) || value.some((m) => m !== 'text')) rejectUnsupported(policy, provider, 'modalities', 'Cohere answers with text only');
        break;
      case 'response_format': {
        const format = responseFormat(value, options);
        if (format) body.response_format = format;
        break;
      }
      case 'reasoning_effort':
        body.thinking = { type: value === 'none' ? 'disabled' : 'enabled' };
        break;
      case 'tools':
        tools = toCohereTools(value, options);
        if (tools.length > 0 && /** @type {Array<{ function?: { strict?: unknown } }>} */ (value).some((t) => t?.function?.strict === true)) body.strict_tools = true;
        break;
      case 'tool_choice':
        break; // below, once the tools are known
      default:
        rejectUnsupported(policy, provider, field, 'the Cohere chat API has no such parameter');
    }
  }

  if (tools && tools.length > 0) {
    const choice = toolChoice(request.tool_choice, tools, provider);
    body.tools = choice.tools;
    if (choice.mode) body.tool_choice = choice.mode;
  }
  return body;
}

// ---- Messages ------------------------------------------------------------------------------------

/**
 * @param {readonly ChatMessage[]} messages
 * @param {Translation} options
 * @returns {CohereMessage[]}
 */
function toCohereMessages(messages, options) {
  /** @type {CohereMessage[]} */
  const out = [];
  /** The leading system messages' text, sent as one turn: Cohere takes a system turn only first. */
  /** @type {string[]} */
  const system = [];
  messages.forEach((message, index) => {
    const at = `messages[${index}]`;
    if (message.role === 'system' || message.role === 'developer') {
      const content = textOnly(message.content, `${at}.content`, options);
      const text = typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
      if (out.length === 0) system.push(text);
      else rejectUnsupported(options.policy, options.provider, at, 'Cohere takes system messages only at the start of the conversation');
      return;
    }
    out.push(conversationTurn(message, at, options));
  });
  return system.length > 0 ? [{ role: 'system', content: system.join('\n\n') }, ...out] : out;
}

/**
 * @param {ChatMessage} message
 * @param {string} at
 * @param {Translation} options
 * @returns {CohereMessage}
 */
function conversationTurn(message, at, options) {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: userContent(message.content, `${at}.content`, options) };
    case 'assistant': {
      const text = textOnly(message.content ?? '', `${at}.content`, options);
      const calls = message.tool_calls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: text };
      /** @type {CohereMessage} */
      const turn = {
        role: 'assistant',
        tool_calls: calls.map((call) => ({ id: String(call.id), type: 'function', function: { name: call.function.name, arguments: call.function.arguments || '{}' } })),
      };
      // Cohere's own tool-calling turn carries its plan, not content: the text goes there.
      const plan = typeof text === 'string' ? text : text.map((part) => part.text).join('');
      if (plan !== '') turn.tool_plan = plan;
      return turn;
    }
    case 'tool':
      if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') throw invalidRequest(`'${at}.tool_call_id' is required for a tool message.`, `${at}.tool_call_id`);
      return { role: 'tool', tool_call_id: message.tool_call_id, content: textOnly(message.content ?? '', `${at}.content`, options) };
    default:
      // The legacy `function` role has no tool_call_id to answer with.
      throw invalidRequest(`'${at}.role' ${JSON.stringify(message.role)} is not supported; use 'tool' messages.`, `${at}.role`);
  }
}

/**
 * Text content as Cohere takes it: a string, or text parts. Anything else is left out or refused.
 * @param {ChatMessage['content']} content
 * @param {string} at
 * @param {Translation} options
 * @returns {string | CohereTextContent[]}
 */
function textOnly(content, at, options) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  /** @type {CohereTextContent[]} */
  const parts = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') parts.push({ type: 'text', text: part.text });
    else rejectUnsupported(options.policy, options.provider, at, `Cohere takes only text here, not '${String(part.type)}'`);
  }
  return parts;
}

/**
 * @param {ChatMessage['content']} content
 * @param {string} at
 * @param {Translation} options
 * @returns {string | Array<CohereTextContent | CohereImageContent>}
 */
function userContent(content, at, options) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  /** @type {Array<CohereTextContent | CohereImageContent>} */
  const parts = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') {
      parts.push({ type: 'text', text: part.text });
    } else if (part.type === 'image_url') {
      const image = /** @type {{ url?: unknown; detail?: unknown } | undefined} */ (part.image_url);
      if (typeof image?.url !== 'string') throw invalidRequest(`'${at}' has an image_url part without a url.`, at);
      const detail = image.detail === 'auto' || image.detail === 'low' || image.detail === 'high' ? image.detail : undefined;
      parts.push({ type: 'image_url', image_url: detail ? { url: image.url, detail } : { url: image.url } });
    } else {
      rejectUnsupported(options.policy, options.provider, at, `Cohere takes text and images, not '${String(part.type)}'`);
    }
  }
  return parts;
}

// ---- Tools and formats ---------------------------------------------------------------------------

/**
 * @param {unknown} value
 * @param {Translation} options
 * @returns {CohereTool[]}
 */
function toCohereTools(value, options) {
  if (!Array.isArray(value)) throw invalidRequest(`'tools' must be an array.`, 'tools');
  /** @type {CohereTool[]} */
  const tools = [];
  value.forEach((tool, index) => {
    if (tool?.type !== 'function' || typeof tool.function?.name !== 'string') {
      rejectUnsupported(options.policy, options.provider, `tools[${index}]`, 'Cohere runs function tools only');
      return;
    }
    const { name, description, parameters } = tool.function;
    tools.push({ type: 'function', function: { name, ...(typeof description === 'string' ? { description } : {}), ...(parameters ? { parameters } : {}) } });
  });
  return tools;
}

/**
 * OpenAI's tool_choice in Cohere's terms: a mode, and the tools left to offer.
 * @param {unknown} choice
 * @param {CohereTool[]} tools
 * @param {string} provider
 * @returns {{ tools: CohereTool[]; mode?: 'REQUIRED' | 'NONE' }}
 */
function toolChoice(choice, tools, provider) {
  if (choice === undefined || choice === null || choice === 'auto') return { tools };
  if (choice === 'required') return { tools, mode: 'REQUIRED' };
  if (choice === 'none') return { tools, mode: 'NONE' };
  const named = /** @type {{ type?: unknown; function?: { name?: unknown } }} */ (choice);
  if (named.type === 'function' && typeof named.function?.name === 'string') {
    const pinned = tools.filter((tool) => tool.function.name === named.function?.name);
    if (pinned.length === 0) throw invalidRequest(`'tool_choice' names '${named.function.name}', which is not in 'tools'.`, 'tool_choice');
    return { tools: pinned, mode: 'REQUIRED' };
  }
  throw invalidRequest(`${provider}: 'tool_choice' must be 'auto', 'none', 'required' or a function.`, 'tool_choice');
}

/**
 * @param {unknown} value
 * @param {Translation} options
 * @returns {CohereChatRequest['response_format'] | undefined}
 */
function responseFormat(value, options) {
  const format = /** @type {{ type?: unknown; json_schema?: { schema?: unknown } }} */ (value);
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const schema = format.json_schema?.schema;
      if (typeof schema !== 'object' || schema === null) throw invalidRequest(`'response_format.json_schema.schema' must be a JSON Schema object.`, 'response_format');
      return { type: 'json_object', json_schema: /** @type {Record<string, unknown>} */ (schema) };
    }
    default:
      rejectUnsupported(options.policy, options.provider, 'response_format', `'${String(format.type)}' is not text, json_object or json_schema`);
      return undefined;
  }
}
