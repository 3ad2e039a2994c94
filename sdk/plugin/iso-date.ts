/**
 * An ISO 8601 date or date-time as people write one in an API's query or body: `2026-12-06`,
 * `2026-12-06T10:00`, with seconds, fractions and a zone (`Z`, `+01:00`) or not. `Date.parse`
 * alone reads far more, and quietly: `2026-02-30` as March 2nd, `0000-01-01` as the year 2000,
 * `5` as May 2001. A value of another shape, or a day its month does not have, is not a date.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[zZ]|[+-]\d{2}:?\d{2})?)?$/;

export function isIsoDate(text: string): boolean {
  const written = ISO_DATE.exec(text);
  if (!written) return false;
  const [year, month, day] = [Number(written[1]), Number(written[2]), Number(written[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Milliseconds since the epoch of a date or a date-time, read as UTC unless it names its offset,
 * whatever the server's time zone; NaN when it is neither. Every date the gateway is given (the
 * admin API's and the dashboard's `from` and `to`, a key's `expiresAt`) is read by this one rule,
 * so that replicas, and `llm-gateway keys` on a laptop, agree on the instant.
 */
export function utcTime(value: string): number {
  if (!isIsoDate(value)) return Number.NaN;
  // A bare date with `Z` is not ECMAScript's format, and Date.parse then guesses (0000 read as 2000).
  const dateTime = value.length === 10 ? `${value}T00:00` : value;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(dateTime) ? dateTime : `${dateTime}Z`);
}
