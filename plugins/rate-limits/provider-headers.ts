/**
 * What providers say about their own limits, read from response headers: OpenAI-style
 * `x-ratelimit-remaining-requests` / `x-ratelimit-reset-requests` (durations such as `1s`, `6m0s`,
 * `20ms`; also used by Groq, Together, OpenRouter and others) and Anthropic's
 * `anthropic-ratelimit-requests-remaining` / `-reset` (RFC 3339 times). Returns when the
 * deployment is exhausted until, or undefined when it still has headroom.
 */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

// Header names built once: this runs on every answer.
const NAMES = (['requests', 'tokens'] as const).map((kind) => ({
  openai: [`x-ratelimit-remaining-${kind}`, `x-ratelimit-reset-${kind}`] as const,
  anthropic: [`anthropic-ratelimit-${kind}-remaining`, `anthropic-ratelimit-${kind}-reset`] as const,
}));

export function exhaustedUntil(headers: Headers, now: number): number | undefined {
  let until: number | undefined;
  for (const { openai, anthropic } of NAMES) {
    const fromOpenAI = pair(headers, openai[0], openai[1], (v) => parseDuration(v), now);
    const fromAnthropic = pair(headers, anthropic[0], anthropic[1], (v) => Date.parse(v) - now, now);
    for (const candidate of [fromOpenAI, fromAnthropic]) if (candidate !== undefined) until = Math.max(until ?? 0, candidate);
  }
  return until;
}

function pair(headers: Headers, remainingName: string, resetName: string, resetInMs: (value: string) => number, now: number): number | undefined {
  const remaining = first(headers[remainingName]);
  if (remaining === undefined || Number(remaining) > 0) return undefined;
  const reset = first(headers[resetName]);
  const wait = reset === undefined ? Number.NaN : resetInMs(reset);
  // No usable reset time: assume a minute, the usual window. One already past (Anthropic's are to
  // the second, and the answer took time to come) has reset: nothing to wait for.
  return now + (Number.isFinite(wait) ? Math.max(0, wait) : 60_000);
}

/** `1s`, `6m0s`, `1h2m3.5s`, `20ms`, or bare seconds → milliseconds. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let matched = '';
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(match[1]) * units[match[2]!]!;
    matched += match[0];
  }
  return matched === text ? total : Number.NaN;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
