/**
 * The config file's own rules for providers and virtual models (core/config/schema.ts), applied to
 * a live change as well: a virtual model without targets, a target that is a number, a negative
 * weight, `enabled: "no"` would be refused in the file, and were taken (or failed with a 500) live.
 */
import { configSchema } from '../config/schema.js';
import { invalidRequest } from '../errors.js';
import type { Logger } from '../logger.js';
import { isSecretReference } from './secrets.js';
import { isSecretPath } from '../secret-names.js';
import { formatIssues, validate } from '../validation.js';
import type { LiveKind } from './live-config.js';

/** What breaks the file's rules in providers and models as they would be after a change. */
export function entryProblems(merged: { providers: unknown; models: unknown }): string[] {
  const problems: string[] = [];
  for (const section of ['providers', 'models'] as const) {
    const issues = validate(configSchema.properties[section], merged[section], isSecretPath);
    if (issues.length > 0) problems.push(...formatIssues(`config/${section}`, issues).split('\n'));
  }
  return problems;
}

/** One stored override that breaks the file's rules, and how. */
interface RefusedOverride {
  kind: LiveKind;
  name: string;
  problems: string[];
}

/**
 * `doc` without the stored overrides that break the file's rules each on its own: stored by an
 * older build whose rules were looser (a target weight of 0, a field since refused), or written to
 * the store by hand. Such an entry is left out of what is served (the file's entry, if any, is
 * served in its place) and logged as an error naming it, rather than failing the whole
 * configuration: which had stopped the gateway at start after an upgrade, and every live change on
 * every replica after. It stays in the store and in `overrides()`, so an admin can revert it.
 * `changing`: the entry a change sets now, held to the rules by the caller (entryProblems).
 */
export function servableOverrides<T extends { providers: Record<string, unknown>; models: Record<string, unknown> }>(
  doc: T,
  logger: Logger,
  changing?: { kind: LiveKind; name: string },
  /** A provider entry's problems by its type's own rules (ProviderRegistry.problemsOf). */
  providerProblems?: (id: string, options: unknown) => string[],
): T {
  const refused = refusedOverrides(doc, providerProblems).filter(({ kind, name }) => kind !== changing?.kind || name !== changing.name);
  if (refused.length === 0) return doc;
  const servable = structuredClone(doc);
  for (const { kind, name, problems } of refused) {
    delete (kind === 'provider' ? servable.providers : servable.models)[name];
    logger.error(`live config: the stored ${kind} "${name}" breaks the config's rules and is left out until it is changed or reverted`, { problems: problems.join('; ') });
  }
  return servable;
}

function refusedOverrides(doc: { providers: Record<string, unknown>; models: Record<string, unknown> }, providerProblems?: (id: string, options: unknown) => string[]): RefusedOverride[] {
  const refused: RefusedOverride[] = [];
  for (const [kind, section] of [['provider', 'providers'], ['model', 'models']] as const) {
    for (const [name, value] of Object.entries(doc[section])) {
      if (value === null) continue;
      const issues = validate(configSchema.properties[section], { [name]: value }, isSecretPath);
      const problems = issues.length > 0 ? formatIssues(`config/${section}`, issues).split('\n') : kind === 'provider' && providerProblems ? providerProblems(name, secretsAsText(value)) : [];
      if (problems.length > 0) refused.push({ kind, name, problems });
    }
  }
  return refused;
}

/** The longest name a live change takes (the file's names are unbounded; a request is not). */
export const LONGEST_ENTRY_NAME = 200;

/** The file's name rule of each kind (its schema's `propertyNames`), in words for the refusal. */
const NAME_RULES = {
  provider: { pattern: new RegExp(configSchema.properties.providers.propertyNames.pattern), what: 'provider id', says: 'letters, digits, ".", "_" or "-", starting with a letter or digit' },
  model: { pattern: new RegExp(configSchema.properties.models.propertyNames.pattern), what: 'model name', says: 'characters other than "/" and spaces' },
} as const;

/**
 * Refuses, with a 400 on `name`, a provider id or virtual-model name the config file would refuse
 * or that is longer than a live change takes: checked before a form or an admin call goes further,
 * so the refusal names the rule rather than the whole config's problems. The file's own rule, not
 * a stricter one: entries the file accepts (Ollama's `llama3:8b`) can be edited live.
 */
export function checkEntryName(kind: LiveKind, name: string): void {
  const rule = NAME_RULES[kind];
  if (name.length === 0 || name.length > LONGEST_ENTRY_NAME || !rule.pattern.test(name)) {
    throw invalidRequest(`A ${rule.what} is 1 to ${LONGEST_ENTRY_NAME} ${rule.says}.`, 'name');
  }
}

/** A stored entry with its sealed secrets (references into the secret store) as the text they hold, for its type's rules. */
function secretsAsText(value: unknown): unknown {
  if (isSecretReference(value)) return 'sealed';
  if (Array.isArray(value)) return value.map(secretsAsText);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, secretsAsText(inner)]));
  return value;
}
