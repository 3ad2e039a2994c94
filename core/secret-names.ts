/**
 * Which option names hold secrets, and a value with them hidden, for every message that prints a
 * config value (a validation error, `llm-gateway check`): an `apiKey` nested under a misspelled
 * section is as secret as one in its place.
 */

/** An option whose name ends in key, token, secret, password or authorization holds a secret. */
export const SECRET_NAME = /(key|token|secret|password|authorization)$/i;

/** Whether a value's path (`providers/groq/apiKey`) ends in a secret-named option. */
export function isSecretPath(path: string): boolean {
  return SECRET_NAME.test(path.split('/').pop() ?? '');
}

/** `value` with every string under a secret-named key, however deep, replaced by `***`. */
export function withSecretsHidden(value: unknown, name = ''): unknown {
  if (typeof value === 'string') return SECRET_NAME.test(name) ? '***' : value;
  if (Array.isArray(value)) return value.map((item) => withSecretsHidden(item, name));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withSecretsHidden(item, key)]));
  return value;
}
