/** The shape of a new key, as the admin API and the CLI accept it, checked with one schema. */
import { formatIssues, invalidRequest, utcTime, validate } from 'llm-gateway/plugin';
import { MAX_ROTATION_GRACE_SECONDS, type KeyBudget, type KeyPatch, type NewKey } from './keys.js';

export const newKeySchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    /** A team as keys and team budgets name it: 1 to 200 characters, no space at either end. */
    team: { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$' },
    /** An ISO 8601 date or date-time: `2027-01-31` or `2027-01-31T12:00:00Z`. */
    expiresAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}([T ].+)?$' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    models: { type: 'array', items: { type: 'string', minLength: 1 } },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rpm: { type: 'integer', minimum: 1 },
        tpm: { type: 'integer', minimum: 1 },
        algorithm: { enum: ['sliding-window', 'token-bucket'] },
        burst: { type: 'integer', minimum: 1 },
      },
      // A burst or an algorithm shapes the rpm limit: without one, the key would have no limit at all.
      dependencies: { burst: ['rpm'], algorithm: ['rpm'] },
    },
    budget: {
      type: 'object',
      additionalProperties: false,
      properties: { dailyUsd: { type: 'number', minimum: 0 }, monthlyUsd: { type: 'number', minimum: 0 } },
    },
  },
} as const;

export function parseNewKey(body: unknown): NewKey {
  const issues = validate(newKeySchema, body, () => false);
  if (issues.length > 0) throw invalidRequest(`Invalid key: ${formatIssues('key', issues).replaceAll('\n', '; ')}`);
  const spec = body as NewKey;
  if (spec.expiresAt !== undefined) {
    const time = parseDate(spec.expiresAt);
    if (time === undefined) throw invalidRequest(`Invalid key: expiresAt is not a date (found "${spec.expiresAt}").`, 'expiresAt');
    // A key made already expired is refused at every request, and nothing would say why (a year
    // typed wrong). A key's change may still end it now: that is what the change asks.
    if (time <= Date.now()) throw invalidRequest(`Invalid key: expiresAt ${new Date(time).toISOString()} has already passed.`, 'expiresAt');
    return { ...spec, expiresAt: new Date(time).toISOString() };
  }
  return spec;
}

/**
 * A date's time, or undefined when it is none: an ISO 8601 date or date-time (`utcTime`), so that
 * a day the month does not have (`2027-02-30`, which Date.parse moved to March 2nd: a key living
 * two days more than written) or another shape is refused, not guessed, and a date-time without an
 * offset is UTC, as every date the admin API reads (Date.parse took it in the server's time zone:
 * a key ended hours early or late, and replicas in other zones disagreed).
 */
function parseDate(text: string): number | undefined {
  const time = utcTime(text);
  return Number.isFinite(time) ? time : undefined;
}

const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

/** A change to a key: the same fields, each optional, `null` to clear it. */
export const keyPatchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(Object.entries(newKeySchema.properties).map(([name, schema]) => [name, name === 'name' ? schema : nullable(schema)])),
} as const;

export function parseKeyPatch(body: unknown): KeyPatch {
  const issues = validate(keyPatchSchema, body, () => false);
  if (issues.length > 0) throw invalidRequest(`Invalid change: ${formatIssues('key', issues).replaceAll('\n', '; ')}`);
  const patch = body as KeyPatch;
  if (typeof patch.expiresAt === 'string') {
    const time = parseDate(patch.expiresAt);
    if (time === undefined) throw invalidRequest(`Invalid change: expiresAt is not a date (found "${patch.expiresAt}").`, 'expiresAt');
    return { ...patch, expiresAt: new Date(time).toISOString() };
  }
  return patch;
}

export const rotationSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** How long the old secret is still accepted, so clients can switch: 0 (the default) ends it at once. */
    graceSeconds: { type: 'integer', minimum: 0, maximum: MAX_ROTATION_GRACE_SECONDS },
  },
} as const;

export function parseRotation(body: unknown): { graceSeconds: number } {
  const issues = validate(rotationSchema, body, () => false);
  if (issues.length > 0) throw invalidRequest(`Invalid rotation: ${formatIssues('rotation', issues).replaceAll('\n', '; ')}`);
  return { graceSeconds: (body as { graceSeconds?: number }).graceSeconds ?? 0 };
}

export const teamBudgetSchema = {
  type: 'object',
  required: ['budget'],
  additionalProperties: false,
  properties: { budget: newKeySchema.properties.budget },
} as const;

/** `{"budget": {"dailyUsd"?, "monthlyUsd"?}}`, at least one of the two, for a team named as a key's `team` is. */
export function parseTeamBudget(team: string, body: unknown): KeyBudget {
  if (validate(newKeySchema.properties.team, team, () => false).length > 0) throw invalidRequest('Invalid team: its name must be 1 to 200 characters, with no space at either end.', 'team');
  const issues = validate(teamBudgetSchema, body, () => false);
  if (issues.length > 0) throw invalidRequest(`Invalid team budget: ${formatIssues('team', issues).replaceAll('\n', '; ')}`);
  const { budget } = body as { budget: KeyBudget };
  if (budget.dailyUsd === undefined && budget.monthlyUsd === undefined) throw invalidRequest('Invalid team budget: give budget.dailyUsd, budget.monthlyUsd or both (to take a budget back, DELETE it).', 'budget');
  return budget;
}
