/**
 * OpenAI's `response_format` for Anthropic, two ways.
 *
 * - A forced tool (`json_response`) whose input is the answer: every Claude model honours it, so it
 *   is the default. But Anthropic refuses thinking beside a tool choice that forces a call
 *   (https://platform.claude.com/docs/en/build-with-claude/extended-thinking).
 * - Anthropic's structured outputs, `output_config: { format: { type: 'json_schema', schema } }`
 *   (@anthropic-ai/sdk `OutputConfig.format`,
 *   https://platform.claude.com/docs/en/build-with-claude/structured-outputs): they constrain the
 *   text answer itself, with no tool choice, so thinking stays allowed. Only Claude 4.5 models and
 *   later have them, so they are used only where the forced tool cannot be: a JSON schema with
 *   thinking. JSON mode (`json_object`) has no such form: Anthropic's constrained decoding closes
 *   every object (`additionalProperties: false`), so `{ type: 'object' }` would allow only `{}`.
 */
import { rejectUnsupported, type UnsupportedParamsPolicy } from 'llm-gateway/provider-kit';
import type { AnthropicTool } from './types.js';

/** The name of the tool that carries a JSON-mode answer. */
export const JSON_TOOL = 'json_response';

/** What `response_format` asks of the answer. */
export interface AnswerFormat {
  type: 'json_object' | 'json_schema';
  schema: Record<string, unknown>;
  description?: string;
  strict: boolean;
}

/** `response_format` read; undefined for plain text (or an unknown format left out under 'drop'). */
export function answerFormatOf(value: unknown, policy: UnsupportedParamsPolicy, provider: string): AnswerFormat | undefined {
  const format = value as { type?: string; json_schema?: { schema?: Record<string, unknown>; description?: string; strict?: boolean | null } };
  if (format.type === 'text') return undefined;
  if (format.type !== 'json_object' && format.type !== 'json_schema') {
    rejectUnsupported(policy, provider, 'response_format', `format '${String(format.type)}' is unknown`);
    return undefined;
  }
  const schema = format.type === 'json_schema' ? (format.json_schema?.schema ?? { type: 'object' }) : { type: 'object' };
  const description = format.json_schema?.description;
  return { type: format.type, schema, ...(description ? { description } : {}), strict: format.type === 'json_schema' && format.json_schema?.strict === true };
}

/**
 * The forced tool for `format`. A strict schema stays guaranteed: Anthropic validates a strict
 * tool's input against its schema. Only `true` is sent: `false` is the default, and a model without
 * strict tool use need not meet the field.
 */
export function answerTool(format: AnswerFormat): AnthropicTool {
  const tool: AnthropicTool = { name: JSON_TOOL, description: format.description ?? 'Answer with a JSON value matching this schema.', input_schema: format.schema };
  if (format.strict) tool.strict = true;
  return tool;
}

/** Structured outputs for `format`, where they can stand in for the forced tool (see above). */
export function outputFormat(format: AnswerFormat): { type: 'json_schema'; schema: Record<string, unknown> } | undefined {
  return format.type === 'json_schema' ? { type: 'json_schema', schema: format.schema } : undefined;
}
