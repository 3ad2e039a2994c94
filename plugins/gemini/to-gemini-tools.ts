/**
 * An OpenAI chat request's tools, tool choice and output format as Gemini's, for to-gemini.ts.
 *
 * `tool_choice` → `toolConfig.functionCallingConfig` (https://ai.google.dev/gemini-api/docs/function-calling):
 * `auto` → AUTO, `none` → NONE, `required` → ANY, a named function → ANY with `allowedFunctionNames`.
 * `{ type: 'allowed_tools', allowed_tools: { mode, tools } }` (openai-node
 * `ChatCompletionAllowedToolChoice`) declares only the listed functions, then asks for AUTO or ANY:
 * Gemini's `allowedFunctionNames` may be set only with ANY (or VALIDATED, a preview), so for `auto`
 * the narrowing has to be in the declarations; both modes do it alike, as the Responses front-end
 * translates the same choice (plugins/responses/protocol/tools.ts `toChatToolChoice`).
 *
 * `response_format` → `generationConfig.responseMimeType` (+ `responseJsonSchema`), unless the
 * model cannot take it beside function declarations (answer-function.ts).
 */
import { invalidRequest } from 'llm-gateway/plugin';
import { allowedOnly, allowedToolsOf, rejectUnsupported } from 'llm-gateway/provider-kit';
import type { ToGeminiOptions } from './to-gemini.js';
import type { GeminiFunctionCallingMode, GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiToolConfig } from './wire.js';

export function translateTools(tools: unknown, options: ToGeminiOptions): GeminiFunctionDeclaration[] {
  if (!Array.isArray(tools)) throw invalidRequest(`'tools' must be an array.`, 'tools');
  const declarations: GeminiFunctionDeclaration[] = [];
  tools.forEach((tool: unknown, index) => {
    const fn = isRecord(tool) && tool.type === 'function' && isRecord(tool.function) ? tool.function : undefined;
    if (!fn || typeof fn.name !== 'string' || fn.name === '') {
      rejectUnsupported(options.policy, options.provider, `tools[${index}]`, 'only function tools can be declared to Gemini');
      return;
    }
    const declaration: GeminiFunctionDeclaration = { name: fn.name };
    if (typeof fn.description === 'string' && fn.description !== '') declaration.description = fn.description;
    if (isRecord(fn.parameters)) declaration.parametersJsonSchema = jsonSchema(fn.parameters);
    declarations.push(declaration);
  });
  return declarations;
}

/** The client's tool choice in Gemini terms, and the functions to declare (narrowed by `allowed_tools`). */
export function translateToolChoice(
  choice: unknown,
  declarations: GeminiFunctionDeclaration[],
  provider: string,
): { toolConfig: GeminiToolConfig | undefined; declarations: GeminiFunctionDeclaration[] } {
  const config = (mode: GeminiFunctionCallingMode, names?: string[]): GeminiToolConfig => ({ functionCallingConfig: { mode, ...(names ? { allowedFunctionNames: names } : {}) } });
  const keep = (toolConfig: GeminiToolConfig | undefined) => ({ toolConfig, declarations });
  if (choice === undefined || choice === null) return keep(undefined);
  if (choice === 'auto') return keep(config('AUTO'));
  if (choice === 'none') return keep(config('NONE'));
  if (choice === 'required') return keep(config('ANY'));
  const allowed = allowedToolsOf(choice);
  if (allowed) return { toolConfig: config(allowed.mode === 'required' ? 'ANY' : 'AUTO'), declarations: allowedOnly(declarations, allowed) };
  const name = isRecord(choice) && isRecord(choice.function) ? choice.function.name : undefined;
  if (typeof name === 'string' && name !== '') return keep(config('ANY', [name]));
  throw invalidRequest(`${provider} cannot honour this tool_choice.`, 'tool_choice', 'unsupported_parameter');
}

/** What `response_format` asks of the answer: JSON, to a schema if one was given. */
export interface JsonFormat {
  schema?: Record<string, unknown>;
  description?: string;
}

/** `response_format` read; undefined for plain text (or an unknown format left out under 'drop'). */
export function readResponseFormat(value: unknown, options: ToGeminiOptions): JsonFormat | undefined {
  const format = isRecord(value) ? value : {};
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return {};
    case 'json_schema': {
      const spec = isRecord(format.json_schema) ? format.json_schema : {};
      return {
        ...(isRecord(spec.schema) ? { schema: jsonSchema(spec.schema) } : {}),
        ...(typeof spec.description === 'string' && spec.description !== '' ? { description: spec.description } : {}),
      };
    }
    default:
      rejectUnsupported(options.policy, options.provider, 'response_format', `format '${String(format.type)}' is unknown`);
      return undefined;
  }
}

/** Gemini's native JSON output: `responseMimeType`, and `responseJsonSchema` for a schema. */
export function applyResponseFormat(format: JsonFormat, config: GeminiGenerationConfig): void {
  config.responseMimeType = 'application/json';
  if (format.schema) config.responseJsonSchema = format.schema;
}

/**
 * A JSON Schema as Gemini's `*JsonSchema` fields take it. They accept JSON Schema and ignore the
 * keywords they do not support; only the root `$schema` (a draft URL some generators add) is
 * removed, to keep the body to what the docs list.
 */
function jsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
