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
