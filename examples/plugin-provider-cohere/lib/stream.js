// @ts-check
/**
 * Cohere's `stream: true` events as OpenAI chat completion chunks, one event at a time as they
 * arrive (nothing waits for the end of the stream).
 *
 * The events (https://docs.cohere.com/v2/docs/streaming, https://docs.cohere.com/reference/chat-stream,
 * cohere-python src/cohere/types/streamed_chat_response_v2.py), each a server-sent event whose data
 * carries its `type`:
 * - `message-start` → the first chunk, `{role: 'assistant', content: ''}` as OpenAI sends it;
 * - `content-delta` → `content` (or `reasoning_content` for a reasoning model's `thinking`);
 * - `tool-plan-delta` → `content` (the text before tool calls, see from-cohere.js);
 * - `tool-call-start` → a `tool_calls` delta with index, id, name and the first arguments;
 *   `tool-call-delta` → more arguments for the same index;
 * - `message-end` → a chunk with the finish reason, then a usage chunk (`choices: []`), which a
 *   complete stream always ends with: plugins (usage logs, budgets) need the counts, and the OpenAI
 *   front-end drops it for a client that did not ask for it;
 * - `content-start`, `content-end`, `tool-call-end`, `citation-*` and anything newer: nothing.
 *
 * Failures, all naming the provider: a body that ends before `message-end` is a retryable
 * `upstream_stream_truncated`; an event that is not JSON, `upstream_invalid_response`; a
 * `message-end` with an error or an ERROR/TIMEOUT finish reason, the failure it reports.
 */
import { GatewayError } from 'llm-gateway/provider-kit';
import { completionId, finishReason, malformed, nowSeconds, usageOf } from './from-cohere.js';

/** @typedef {import('llm-gateway/provider-kit').ChatCompletionChunk} ChatCompletionChunk */
/** @typedef {import('llm-gateway/provider-kit').ChatDelta} ChatDelta */
/** @typedef {import('./wire.js').CohereStreamEvent} CohereStreamEvent */

/**
 * @param {AsyncIterable<{ data: string }>} events decoded server-sent events (`decodeSse`)
 * @param {{ provider: string; model: string }} context
 * @returns {AsyncGenerator<ChatCompletionChunk>}
 */
export async function* translateCohereStream(events, { provider, model }) {
  const created = nowSeconds();
  let id = completionId(undefined);
  /** Cohere's tool call index → the OpenAI index, in the order the calls start. */
  const toolIndex = new Map();

  /**
   * @param {ChatDelta} delta
   * @param {string | null} finish
   * @returns {ChatCompletionChunk}
   */
  const chunk = (delta, finish = null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });

  for await (const { data } of events) {
    const text = data.trim();
    if (text === '' || text === '[DONE]') continue;
    const event = parse(provider, text);
    switch (event.type) {
      case 'message-start':
        if (event.id) id = completionId(event.id);
        yield chunk({ role: 'assistant', content: '' });
        break;
      case 'content-delta': {
        const content = event.delta?.message?.content;
        if (typeof content?.text === 'string' && content.text !== '') yield chunk({ content: content.text });
        if (typeof content?.thinking === 'string' && content.thinking !== '') yield chunk({ reasoning_content: content.thinking });
        break;
      }
      case 'tool-plan-delta': {
        const plan = event.delta?.message?.tool_plan;
        if (typeof plan === 'string' && plan !== '') yield chunk({ content: plan });
        break;
      }
      case 'tool-call-start': {
        const call = event.delta?.message?.tool_calls;
        if (typeof call?.function?.name !== 'string') throw malformed(provider, 'a tool-call-start event has no function name');
        const index = toolIndex.size;
        toolIndex.set(event.index ?? index, index);
        yield chunk({
          tool_calls: [{ index, id: call.id ?? `call_${index}`, type: 'function', function: { name: call.function.name, arguments: call.function.arguments ?? '' } }],
        });
        break;
      }
      case 'tool-call-delta': {
        const index = toolIndex.get(event.index ?? toolIndex.size - 1);
        if (index === undefined) throw malformed(provider, 'a tool-call-delta event came before its tool-call-start');
        const args = event.delta?.message?.tool_calls?.function?.arguments;
        if (typeof args === 'string' && args !== '') yield chunk({ tool_calls: [{ index, function: { arguments: args } }] });
        break;
      }
      case 'message-end': {
        const finish = finishReason(provider, event.delta?.finish_reason, event.delta?.error);
        yield chunk({}, finish);
        const usage = usageOf(event.delta?.usage);
        if (usage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
        return; // The answer is complete; whatever follows is left to decodeSse to drain.
      }
      default:
        break;
    }
  }
  throw new GatewayError('upstream', `${provider}: the stream ended before the answer was complete`, { provider, code: 'upstream_stream_truncated', retryable: true });
}

/**
 * @param {string} provider
 * @param {string} text
 * @returns {CohereStreamEvent}
 */
function parse(provider, text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed(provider, 'the stream carried an event that is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.type !== 'string') throw malformed(provider, 'the stream carried an event without a type');
  return parsed;
}
