/**
 * Checks the shape of a chat completion request before anything is spent on it. Only what the
 * gateway and every provider rely on is checked; unknown fields pass through to the upstream.
 */
import { type ChatCompletionRequest, describeErrors, describeFound, invalidRequest, validatorFor } from 'llm-gateway/plugin';

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

const chatRequestSchema = {
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
          role: { enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] },
          content: { type: ['string', 'array', 'null'] },
          tool_calls: { type: 'array', items: { type: 'object' } },
          tool_call_id: { type: 'string' },
          name: { type: 'string' },
        },
      },
    },
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_usage: { type: 'boolean' } } }),
    n: nullable({ type: 'integer', minimum: 1 }),
    max_tokens: nullable({ type: 'integer', minimum: 1 }),
    max_completion_tokens: nullable({ type: 'integer', minimum: 1 }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    tools: { type: 'array', items: { type: 'object', required: ['type'] } },
    stop: nullable({ type: ['string', 'array'] }),
  },
};

const check = validatorFor(chatRequestSchema);

export function validateChatRequest(body: Record<string, unknown>): ChatCompletionRequest {
  if (check(body)) return body as ChatCompletionRequest;
  const [issue] = describeErrors(check.errors ?? [], body, () => false);
  if (!issue) throw invalidRequest('The request is not a valid chat completion request.');
  const param = pointerToParam(issue.path);
  if (issue.message === 'is required') {
    throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  const what = param === 'messages' && issue.message.startsWith('must have at least') ? "'messages' must contain at least one message" : `Invalid value for '${param}': ${issue.message}`;
  throw invalidRequest(`${what} (${describeFound(issue.found)}).`, param, 'invalid_value');
}

/** `/messages/0/role` → `messages[0].role`, the way OpenAI names parameters. */
function pointerToParam(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}
