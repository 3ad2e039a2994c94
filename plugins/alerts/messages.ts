/**
 * The alerts the plugin sends, as data (what a `json` webhook receives, with `text` beside them) and
 * as one line of text for people (what a `slack` webhook shows).
 */
import type { BudgetState } from 'llm-gateway/plugins/auth';

/** A budget window reached a threshold (a share of its limit, spent or reserved), or refused a request. */
export interface BudgetAlert {
  readonly type: 'budget.threshold' | 'budget.refused';
  /** Whose budget: a key's own, or a team's. */
  readonly owner: BudgetState['owner'];
  readonly window: BudgetState['window'];
  readonly period: string;
  readonly limitUsd: number;
  /** What the window held (spent, and reserved by requests in flight), where known. */
  readonly totalUsd?: number;
  /** The threshold reached, a share of the limit (`budget.threshold` only). */
  readonly threshold?: number;
  /**
   * `budget.refused` only: true when the window is spent (or reserved) to its limit, so every request
   * is refused until it resets; false when what is left is less than this request could cost.
   */
  readonly exhausted?: boolean;
  /** When the window resets, ISO 8601 (UTC). */
  readonly resetsAt: string;
}

/** A deployment's circuit opened (its requests fail over or get 503), or closed again after a probe. */
export interface CircuitAlert {
  readonly type: 'circuit.open' | 'circuit.closed';
  /** `provider/model`. */
  readonly deployment: string;
}

/** Gateway keys that expire soon, soonest first: their clients will get 401 `expired_api_key` from then on. */
export interface KeysAlert {
  readonly type: 'keys.expiring';
  readonly keys: ReadonlyArray<{ readonly id: string; readonly name: string; readonly team?: string; /** ISO 8601 (UTC). */ readonly expiresAt: string }>;
}

export type Alert = (BudgetAlert | CircuitAlert | KeysAlert) & { /** When it was raised, ISO 8601. */ readonly at: string };

/** Keys named in an alert's text; the rest are counted (a `json` webhook has them all). */
const KEYS_IN_TEXT = 20;

/** Cents, or (under ten cents, a test key's budget) two significant digits: $0.90, $0.004. */
const usd = (value: number) => `$${value >= 0.1 || value === 0 ? value.toFixed(2) : String(Number(value.toPrecision(2)))}`;

export function alertText(alert: Alert): string {
  switch (alert.type) {
    case 'circuit.open':
      return `Circuit open for ${alert.deployment}: it kept failing, so its requests go to their fallbacks (or get 503) until a probe succeeds.`;
    case 'circuit.closed':
      return `Circuit closed for ${alert.deployment}: it answers again.`;
    case 'keys.expiring': {
      const within = (expiresAt: string) => {
        const days = Math.max(0, (Date.parse(expiresAt) - Date.parse(alert.at)) / 86_400_000);
        return days < 1 ? `in ${Math.max(1, Math.round(days * 24))} h` : `in ${Math.round(days)} day${Math.round(days) === 1 ? '' : 's'}`;
      };
      const named = alert.keys.slice(0, KEYS_IN_TEXT).map((key) => `'${key.name}' (${key.id}) at ${key.expiresAt}, ${within(key.expiresAt)}`);
      const more = alert.keys.length > KEYS_IN_TEXT ? `; and ${alert.keys.length - KEYS_IN_TEXT} more` : '';
      const subject = alert.keys.length === 1 ? 'Key' : `${alert.keys.length} keys expire:`;
      const tail = `${alert.keys.length === 1 ? 'its clients get' : 'their clients get'} 401 from then on, unless ${alert.keys.length === 1 ? 'its' : 'their'} expiresAt is changed.`;
      return alert.keys.length === 1 ? `${subject} ${named[0]!.replace(' at ', ' expires at ')}: ${tail}` : `${subject} ${named.join('; ')}${more}. ${tail[0]!.toUpperCase()}${tail.slice(1)}`;
    }
    case 'budget.threshold':
    case 'budget.refused': {
      const whose = alert.owner.kind === 'key' ? `Key '${alert.owner.name}' (${alert.owner.id})` : `Team '${alert.owner.team}'`;
      const window = `${alert.window} budget of ${usd(alert.limitUsd)} (${alert.period}, UTC)`;
      if (alert.type === 'budget.refused') {
        const who = alert.owner.kind === 'key' ? 'its requests' : "its keys' requests";
        if (alert.exhausted === false) {
          return `${whose} had a request refused (402) by its ${window}: ${usd(alert.totalUsd ?? 0)} is spent or reserved, and the request could cost more than is left. Smaller requests still pass.`;
        }
        return `${whose} has used its ${window}: ${who} are refused (402) until it resets at ${alert.resetsAt}.`;
      }
      return `${whose} has used ${Math.round(alert.threshold! * 100)}% of its ${window}: ${usd(alert.totalUsd ?? 0)}, counting requests in flight.`;
    }
  }
}
