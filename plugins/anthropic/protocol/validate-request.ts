/**
 * Checks an Anthropic Messages request before anything is spent on it, naming the field the way
 * Anthropic does (`messages.0.content`). It checks only the shapes the translation to OpenAI's
 * format reads; values (roles, ranges, block types) and unknown fields are the upstream's to judge,
 * so the gateway is never stricter than the Anthropic API it stands in for.
 */
import { describeErrors, describeFound, invalidRequest, requestValidatorFor } from 'llm-gateway/plugin';
import type { AnthropicRequest } from './types.js';

/** `when` a block is of one of these types, it must also match `then`. */
const ofType = (types: string[], then: Record<string, unknown>) => ({ if: { properties: { type: { enum: types } } }, then });

/**
 * What a content block's translation reads: a text block's `text`, an image's or a document's
 * `source`. Anthropic refuses a block without them (400); unchecked, the translation read a
 * missing field and answered 500, which clients retry as the server's fault.
 */
const contentBlock = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  allOf: [
    ofType(['text'], { required: ['text'], properties: { text: { type: 'string' } } }),
    ofType(['image', 'document'], { required: ['source'], properties: { source: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } } }),
  ],
};

/** A message's block: a content block, or a tool result whose content is text or content blocks. */
const block = {
  ...contentBlock,
  allOf: [...contentBlock.allOf, ofType(['tool_result'], { properties: { content: { anyOf: [{ type: 'string' }, { type: 'array', items: contentBlock }] } } })],
};

const messagesRequestSchema = {
  type: 'object',
  required: ['model', 'messages', 'max_tokens'],
  properties: {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { type: 'string', minLength: 1 },
          content: { anyOf: [{ type: 'string' }, { type: 'array', items: block }] },
        },
      },
    },
    system: { anyOf: [{ type: 'string' }, { type: 'array', items: block }] },
    stream: { type: 'boolean' },
    temperature: { type: 'number' },
    top_p: { type: 'number' },
    top_k: { type: 'integer' },
    stop_sequences: { type: 'array', items: { type: 'string' } },
    tools: { type: 'array', items: { type: 'object', required: ['name'] } },
    tool_choice: { type: 'object', required: ['type'] },
  },
};

const check = requestValidatorFor(messagesRequestSchema);

/** Validates a `/v1/messages` body; `countOnly` for `/v1/messages/count_tokens`, which has no `max_tokens`. */
export function validateMessagesRequest(body: Record<string, unknown>, countOnly = false): AnthropicRequest {
  const candidate = countOnly && body.max_tokens === undefined ? { ...body, max_tokens: 1 } : body;
  if (check(candidate)) return candidate as AnthropicRequest;
  const [issue] = describeErrors(check.errors ?? [], candidate, () => false);
  if (!issue) throw invalidRequest('The request is not a valid Messages request.');
  const param = issue.path.split('/').filter(Boolean).join('.');
  if (issue.message === 'is required') throw invalidRequest(`${param}: Field required`, param, 'missing_required_parameter');
  throw invalidRequest(`${param}: ${issue.message} (${describeFound(issue.found)})`, param, 'invalid_value');
}
