/**
 * Checks the shape of a chat completion request before anything is spent on it: only what the
 * gateway and its translations read (the model, the messages and their roles, content and tool
 * calls, streaming, token limits, tools, stop), and only as types. Values are the upstream's to
 * judge, so a new role, a wider range or a field OpenAI adds tomorrow (`reasoning_effort`,
 * `verbosity`, `prediction`, `modalities`, `audio`, `store`, `service_tier`, `prompt_cache_key`,
 * `safety_identifier`, `web_search_options`, ...) reaches OpenAI-format hosts untouched, and a
 * translation that cannot express one says so (400 or drop, by the provider's policy).
 *
 * Never stricter than OpenAI's own API (https://platform.openai.com/docs/api-reference/chat/create).
 */
import { type ChatCompletionRequest, invalidRequest, rejectBody, requestValidatorFor } from 'llm-gateway/plugin';

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

const check = requestValidatorFor({
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { type: 'string', minLength: 1 },
          content: { type: ['string', 'array', 'null'] },
          tool_calls: nullable({ type: 'array', items: { type: 'object' } }),
          tool_call_id: { type: 'string' },
          name: { type: 'string' },
        },
      },
    },
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_usage: nullable({ type: 'boolean' }) } }),
    n: nullable({ type: 'integer' }),
    max_tokens: nullable({ type: 'integer' }),
    max_completion_tokens: nullable({ type: 'integer' }),
    // Translations copy these into other formats, where a string would be someone else's puzzle.
    temperature: nullable({ type: 'number' }),
    top_p: nullable({ type: 'number' }),
    tools: nullable({ type: 'array', items: { type: 'object', required: ['type'] } }),
    stop: nullable({ type: ['string', 'array'] }),
  },
});

export function validateChatRequest(body: Record<string, unknown>): ChatCompletionRequest {
  const { messages } = body;
  if (check(body)) return body as ChatCompletionRequest;
  if (Array.isArray(messages) && messages.length === 0) throw invalidRequest("'messages' must contain at least one message.", 'messages', 'invalid_value');
  throw rejectBody(check, body, 'a chat completion request');
}
