/**
 * Checks the shape of a `POST /v1/responses` body before anything is spent on it: only what the
 * translation relies on, never stricter than OpenAI's own API (the types of
 * `ResponseCreateParamsBase` in openai-node `src/resources/responses/responses.ts`). Unknown fields
 * and item types pass; what they mean is decided where the request goes.
 */
import { rejectBody, requestValidatorFor } from 'llm-gateway/plugin';
import type { ResponsesRequest } from './types.js';

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });
/** Ids are looked up in the store: bounded like every key a client chooses. */
const id = { type: 'string', minLength: 1, maxLength: 256 };

/** A message's content is never null. */
const messageContent = { type: ['string', 'array'] };

const item = {
  type: 'object',
  properties: {
    type: { type: ['string', 'null'] },
    role: { type: 'string' },
    // Null on a reasoning item without reasoning text (Codex writes `"content": null`, which OpenAI takes).
    content: { type: ['string', 'array', 'null'], items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } },
    call_id: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1 },
    arguments: { type: 'string' },
    output: { type: ['string', 'array'], items: { type: 'object', required: ['type'] } },
  },
  allOf: [
    // The item kinds the translation reads, each with the fields OpenAI requires of it.
    { if: { properties: { type: { const: 'message' } }, required: ['type'] }, then: { required: ['role', 'content'], properties: { content: messageContent } } },
    // Without a type, an item is a message (`EasyInputMessage`) or a reference to a stored item.
    { if: { not: { required: ['type'], properties: { type: { type: 'string' } } } }, then: { anyOf: [{ required: ['role', 'content'], properties: { content: messageContent } }, { required: ['id'], properties: { id } }] } },
    { if: { properties: { type: { const: 'function_call' } }, required: ['type'] }, then: { required: ['call_id', 'name', 'arguments'] } },
    { if: { properties: { type: { const: 'function_call_output' } }, required: ['type'] }, then: { required: ['call_id', 'output'] } },
    { if: { properties: { type: { const: 'item_reference' } }, required: ['type'] }, then: { required: ['id'], properties: { id } } },
  ],
};

const requestSchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { anyOf: [{ type: 'string' }, { type: 'array', items: item }] },
    instructions: nullable({ type: 'string' }),
    previous_response_id: nullable(id),
    tools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string' } },
        allOf: [
          { if: { properties: { type: { const: 'function' } } }, then: { required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } },
          { if: { properties: { type: { const: 'namespace' } } }, then: { required: ['name', 'tools'], properties: { tools: { type: 'array', items: { type: 'object', required: ['type'] } } } } },
        ],
      },
    },
    tool_choice: {
      anyOf: [
        { enum: ['none', 'auto', 'required'] },
        {
          type: 'object',
          required: ['type'],
          // `allowed_tools` names tools as objects (openai-node `ToolChoiceAllowed.tools`).
          if: { properties: { type: { const: 'allowed_tools' } } },
          then: { required: ['tools'], properties: { tools: { type: 'array', items: { type: 'object' } }, mode: { enum: ['auto', 'required'] } } },
        },
        { type: 'null' },
      ],
    },
    parallel_tool_calls: nullable({ type: 'boolean' }),
    text: {
      type: 'object',
      properties: {
        format: {
          type: 'object',
          required: ['type'],
          properties: { type: { type: 'string' } },
          if: { properties: { type: { const: 'json_schema' } } },
          then: { required: ['name', 'schema'], properties: { name: { type: 'string' }, schema: { type: 'object' } } },
        },
      },
    },
    reasoning: nullable({ type: 'object', properties: { effort: nullable({ type: 'string' }) } }),
    max_output_tokens: nullable({ type: 'integer', minimum: 1 }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    stream: nullable({ type: 'boolean' }),
    store: nullable({ type: 'boolean' }),
    include: nullable({ type: 'array', items: { type: 'string' } }),
    metadata: nullable({ type: 'object' }),
  },
};

const check = requestValidatorFor(requestSchema);

export function validateResponsesRequest(body: Record<string, unknown>): ResponsesRequest {
  if (check(body)) return body as ResponsesRequest;
  throw rejectBody(check, body, 'a valid Responses API request', { deepestFirst: true });
}
