/**
 * Prompt tokens taken by the `tools` of a chat request, by the rule OpenAI's cookbook gives in
 * "How to count tokens with tiktoken", section 7 (its example matches the API: 101 tokens on
 * gpt-4o/gpt-4o-mini, 105 on gpt-4/gpt-3.5-turbo). OpenAI renders function definitions into a
 * hidden system text; the cookbook approximates that rendering per function and per property:
 *
 *   per function  7 (o200k) or 10 (cl100k) + tokens of "name:description" (trailing '.' dropped)
 *   properties    3 once, then per property 3 + tokens of "key:type:description"
 *   enums         -3 once, then per item 3 + tokens of the item
 *   all tools     12 once
 *
 * The rule only describes flat parameters. A property with other JSON Schema keywords (nested
 * `properties`, `items`, `format`, `anyOf`, ...) is approximated by also counting those keywords
 * as JSON, and the count is then reported inexact; so is a tool that is not `type: "function"`.
 */
import type { EncodingName } from './encodings.js';
import type { TokenEstimate } from './images.js';

const FUNCTION_START: Record<EncodingName, number> = { o200k_base: 7, cl100k_base: 10 };
const PROPERTIES_START = 3;
const PROPERTY = 3;
const ENUM_START = -3;
const ENUM_ITEM = 3;
const TOOLS_END = 12;

/** Keywords the cookbook's rule accounts for; anything else on a property makes the count approximate. */
const RULE_KEYWORDS = new Set(['type', 'description', 'enum']);

export function toolTokens(tools: unknown, encoding: EncodingName, count: (text: string) => number): TokenEstimate {
  if (!Array.isArray(tools) || tools.length === 0) return { tokens: 0, exact: true };
  let tokens = TOOLS_END;
  let exact = true;
  for (const tool of tools) {
    const fn = record(record(tool).function);
    if (record(tool).type !== 'function') exact = false;
    tokens += FUNCTION_START[encoding] + count(`${text(fn.name)}:${withoutFinalPeriod(text(fn.description))}`);
    const properties = Object.entries(record(record(fn.parameters).properties));
    if (properties.length > 0) tokens += PROPERTIES_START;
    for (const [key, value] of properties) {
      const property = record(value);
      tokens += PROPERTY;
      if (Array.isArray(property.enum)) {
        tokens += ENUM_START;
        for (const item of property.enum) tokens += ENUM_ITEM + count(String(item));
      }
      const type = typeof property.type === 'string' ? property.type : JSON.stringify(property.type ?? '');
      tokens += count(`${key}:${type}:${withoutFinalPeriod(text(property.description))}`);
      const extra = Object.entries(property).filter(([keyword]) => !RULE_KEYWORDS.has(keyword));
      if (extra.length > 0 || typeof property.type !== 'string') {
        exact = false;
        if (extra.length > 0) tokens += count(JSON.stringify(Object.fromEntries(extra)));
      }
    }
  }
  return { tokens, exact };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function withoutFinalPeriod(value: string): string {
  return value.endsWith('.') ? value.slice(0, -1) : value;
}
