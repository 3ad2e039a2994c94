// @ts-check
/**
 * Cohere's answers in OpenAI's terms: a `POST /v2/chat` response as a chat completion, and the
 * pieces the stream translator shares (finish reasons, usage, failures).
 *
 * - `message.content` text items become `content`; `thinking` items (reasoning models) become
 *   `reasoning_content`, the field native adapters use for reasoning.
 * - `tool_calls` keep their id, name and arguments (already the OpenAI shape); `tool_plan`, the text
 *   Cohere writes before calling tools, becomes the message's `content`, as an OpenAI model's
 *   preamble to its calls would be (to-cohere.js sends it back as `tool_plan`).
 * - `finish_reason`: COMPLETE and STOP_SEQUENCE → `stop`, MAX_TOKENS → `length`, TOOL_CALL →
 *   `tool_calls`; ERROR and TIMEOUT are failures, not answers (a retryable 502 and 504).
 * - `usage.billed_units` (the tokens Cohere charges for) → `prompt_tokens`/`completion_tokens`, so
 *   cost and budget plugins count what is paid; `usage.tokens` stands in when billed units are
 *   missing. Citations have no OpenAI counterpart and are left out.
 *
 * Checked against https://docs.cohere.com/reference/chat (response) and the official SDK's types
 * (cohere-python src/cohere/types/chat_finish_reason.py, usage.py, usage_billed_units.py,
 * usage_tokens.py, assistant_message_response.py).
 */
import { GatewayError } from 'llm-gateway/provider-kit';

/** @typedef {import('llm-gateway/provider-kit').ChatCompletion} ChatCompletion */
/** @typedef {import('llm-gateway/provider-kit').ChatMessage} ChatMessage */
/** @typedef {import('llm-gateway/provider-kit').ToolCall} ToolCall */
/** @typedef {import('llm-gateway/provider-kit').Usage} Usage */
/** @typedef {import('./wire.js').CohereChatResponse} CohereChatResponse */
/** @typedef {import('./wire.js').CohereFinishReason} CohereFinishReason */
/** @typedef {import('./wire.js').CohereUsage} CohereUsage */

/** @type {Readonly<Record<string, string>>} */
const FINISH_REASONS = { COMPLETE: 'stop', STOP_SEQUENCE: 'stop', MAX_TOKENS: 'length', TOOL_CALL: 'tool_calls' };

/**
 * @param {CohereChatResponse} answer
 * @param {{ provider: string; model: string }} context
 * @returns {ChatCompletion}
 */
export function toOpenAICompletion(answer, { provider, model }) {
  if (typeof answer.message !== 'object' || answer.message === null) throw malformed(provider, 'the answer has no message');
  const finish = finishReason(provider, answer.finish_reason, undefined);
  const { text, thinking } = readContent(answer.message.content);
  const toolCalls = (answer.message.tool_calls ?? []).map((call, index) => toolCallOf(provider, call, index));
  const plan = answer.message.tool_plan ?? '';
  /** @type {ChatMessage} */
  const message = { role: 'assistant', content: text !== '' ? text : toolCalls.length > 0 && plan !== '' ? plan : toolCalls.length > 0 ? null : '' };
  if (thinking !== '') message.reasoning_content = thinking;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  /** @type {ChatCompletion} */
  const completion = {
    id: completionId(answer.id),
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
  };
  const usage = usageOf(answer.usage);
  if (usage) completion.usage = usage;
  return completion;
}

/**
 * Cohere's finish reason as OpenAI's, or the failure it reports.
 * @param {string} provider
 * @param {unknown} reason
 * @param {string | undefined} error Cohere's own error message, when it sent one.
 * @returns {string}
 */
export function finishReason(provider, reason, error) {
  if (reason === 'ERROR' || error) {
    return fail(new GatewayError('upstream', `${provider}: ${error ?? 'the generation failed'}`, { provider, code: 'upstream_generation_error', retryable: true }));
  }
  if (reason === 'TIMEOUT') {
    return fail(new GatewayError('upstream_timeout', `${provider}: the generation timed out`, { provider, code: 'upstream_timeout', retryable: true }));
  }
  const mapped = typeof reason === 'string' ? FINISH_REASONS[reason] : undefined;
  // A reason Cohere adds later still ends the answer: call it a stop rather than fail a good answer.
  return mapped ?? 'stop';
}

/**
 * @param {CohereUsage | undefined} usage
 * @returns {Usage | undefined}
 */
export function usageOf(usage) {
  if (!usage) return undefined;
  const input = usage.billed_units?.input_tokens ?? usage.tokens?.input_tokens;
  const output = usage.billed_units?.output_tokens ?? usage.tokens?.output_tokens;
  if (typeof input !== 'number' && typeof output !== 'number') return undefined;
  const prompt = Math.round(input ?? 0);
  const completion = Math.round(output ?? 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * @param {string} provider
 * @param {unknown} call
 * @param {number} index
 * @returns {ToolCall}
 */
function toolCallOf(provider, call, index) {
  const c = /** @type {{ id?: unknown; function?: { name?: unknown; arguments?: unknown } }} */ (call);
  if (typeof c?.function?.name !== 'string') throw malformed(provider, `tool call ${index} has no function name`);
  return {
    id: typeof c.id === 'string' && c.id !== '' ? c.id : `call_${index}`,
    type: 'function',
    function: { name: c.function.name, arguments: typeof c.function.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function.arguments ?? {}) },
  };
}

/**
 * @param {CohereChatResponse['message']['content']} content
 * @returns {{ text: string; thinking: string }}
 */
function readContent(content) {
  let text = '';
  let thinking = '';
  for (const item of content ?? []) {
    if (item.type === 'text' && typeof item.text === 'string') text += item.text;
    else if (item.type === 'thinking' && typeof item.thinking === 'string') thinking += item.thinking;
  }
  return { text, thinking };
}

/** @param {string | undefined} id */
export function completionId(id) {
  return `chatcmpl-${id ?? Math.random().toString(36).slice(2)}`;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/**
 * @param {string} provider
 * @param {string} what
 */
export function malformed(provider, what) {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code: 'upstream_invalid_response', retryable: true });
}

/**
 * @param {GatewayError} error
 * @returns {never}
 */
function fail(error) {
  throw error;
}
