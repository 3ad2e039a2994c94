/**
 * The names a live change may give or edit: the config file's own rules (core/config/schema.ts:
 * provider ids `^[a-zA-Z0-9][a-zA-Z0-9._-]*$`, virtual-model names `^[^/\s]+$`, so Ollama's
 * `llama3:8b` is one), bounded in length as anything a client sends is. A stricter rule here left
 * entries the file accepts impossible to edit live.
 */
import { invalidRequest } from 'llm-gateway/plugin';

const RULES = {
  provider: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, says: 'letters, digits, ".", "_" or "-", starting with a letter or digit' },
  model: { pattern: /^[^/\s]+$/, says: 'characters other than "/" and spaces' },
} as const;

/** The longest name a live change takes (the file's names are unbounded; a request is not). */
export const LONGEST_NAME = 200;

export function checkEntryName(kind: 'provider' | 'model', name: string): void {
  const rule = RULES[kind];
  if (name.length === 0 || name.length > LONGEST_NAME || !rule.pattern.test(name)) {
    throw invalidRequest(`A ${kind === 'provider' ? 'provider id' : 'model name'} is 1 to ${LONGEST_NAME} ${rule.says}.`, 'name');
  }
}
