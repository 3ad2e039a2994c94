/** Reading the command line's values. */

/**
 * A flag's number, undefined when the flag is not given. An empty value is a mistake, not 0
 * (`Number('')` is 0: `--daily-usd ''` would have been a budget of nothing).
 */
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${flag} must be a number (found "${value}")`);
  return parsed;
}
