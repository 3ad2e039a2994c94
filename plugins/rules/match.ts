/**
 * Does a rule's `when` match a request? Every condition given must hold; an empty `when` matches
 * everything (a catch-all at the end of the list).
 */
import { compileGlob } from 'llm-gateway/plugin';

export interface RuleConditions {
  /** Glob on the requested model: `gpt-4*`, `groq/llama-*`. */
  model?: string;
  /** Header name → glob on its value: `{ 'x-tier': 'batch' }`. */
  headers?: Record<string, string>;
  /** Estimated prompt tokens at least / at most. */
  minPromptTokens?: number;
  maxPromptTokens?: number;
  /** The request's `metadata` fields (OpenAI's `metadata` object) → glob on their value. */
  metadata?: Record<string, string>;
  /** Glob on the caller's gateway key: its name or its id (needs gateway:auth before the rules). */
  key?: string;
  /** Glob on the caller's key's team. */
  team?: string;
}

export interface RequestFacts {
  model: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  promptTokens: number;
  metadata: Readonly<Record<string, unknown>>;
  /** The caller's key, when gateway:auth identified one. */
  key?: { id: string; name: string; team?: string | undefined } | undefined;
}

export type Matcher = (facts: RequestFacts) => boolean;

/** Compiles the conditions once, at start. */
export function compileConditions(when: RuleConditions): Matcher {
  const model = when.model === undefined ? undefined : compileGlob(when.model, { nocase: true });
  const headers = Object.entries(when.headers ?? {}).map(([name, glob]) => [name.toLowerCase(), compileGlob(glob, { nocase: true })] as const);
  const metadata = Object.entries(when.metadata ?? {}).map(([name, glob]) => [name, compileGlob(glob)] as const);
  const key = when.key === undefined ? undefined : compileGlob(when.key);
  const team = when.team === undefined ? undefined : compileGlob(when.team);
  return (facts) => {
    if (key && !(facts.key && (key(facts.key.name) || key(facts.key.id)))) return false;
    if (team && !(facts.key?.team !== undefined && team(facts.key.team))) return false;
    if (model && !model(facts.model)) return false;
    if (when.minPromptTokens !== undefined && facts.promptTokens < when.minPromptTokens) return false;
    if (when.maxPromptTokens !== undefined && facts.promptTokens > when.maxPromptTokens) return false;
    for (const [name, test] of headers) {
      const value = facts.headers[name];
      if (value === undefined || !test(Array.isArray(value) ? value.join(',') : value)) return false;
    }
    for (const [name, test] of metadata) {
      const value = facts.metadata[name];
      if (typeof value !== 'string' || !test(value)) return false;
    }
    return true;
  };
}
