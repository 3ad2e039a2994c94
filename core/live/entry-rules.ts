/**
 * The config file's own rules for providers and virtual models (core/config/schema.ts), applied to
 * a live change as well: a virtual model without targets, a target that is a number, a negative
 * weight, `enabled: "no"` would be refused in the file, and were taken (or failed with a 500) live.
 */
import { configSchema } from '../config/schema.js';
import { isSecretPath } from '../secret-names.js';
import { formatIssues, validate } from '../validation.js';

/** What breaks the file's rules in providers and models as they would be after a change. */
export function entryProblems(merged: { providers: unknown; models: unknown }): string[] {
  const problems: string[] = [];
  for (const section of ['providers', 'models'] as const) {
    const issues = validate(configSchema.properties[section], merged[section], isSecretPath);
    if (issues.length > 0) problems.push(...formatIssues(`config/${section}`, issues).split('\n'));
  }
  return problems;
}
