/**
 * JSON Schema validation with ajv, shared by config, plugin options, provider options and request
 * bodies, and one formatter that turns ajv's errors into sentences naming the path, what was found
 * and what is allowed.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { maskUrlPasswords } from './mask-urls.js';
import { withSecretsHidden } from './secret-names.js';

// `strictNumbers`: `strict: false` turns it off too, and JSON's `1e999` reads as Infinity, which no limit or budget
// can mean and JSON cannot store (it is written as null).
export const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, useDefaults: true, allowUnionTypes: true });

export interface ValidationIssue {
  /** JSON pointer of the offending value, e.g. `/providers/groq/timeouts/connectMs`. */
  path: string;
  /** What is wrong and what would be allowed. */
  message: string;
  /** The offending value, already masked if it may be a secret. */
  found: unknown;
}

/**
 * For request bodies: the first problem, not all of them. A client's body of many small wrong
 * elements (`tool_calls: [1,1,1,…]`) made an error object for each, about 1.4 KB of heap for every
 * 3 bytes sent: 0.6 MB took 2.3 s and 185 MB, and 9 MB of `{}` ran the process out of memory.
 */
const requestAjv = new Ajv({ strict: false, strictNumbers: true, useDefaults: true, allowUnionTypes: true });

const compiled = new WeakMap<object, ValidateFunction>();
const compiledForRequests = new WeakMap<object, ValidateFunction>();

/**
 * The validator of a schema, compiled once, on its first use: modules declare theirs at load time,
 * and compiling them all then cost a CLI command most of its start-up. It reports every problem
 * (a config's, a plugin's options).
 */
export function validatorFor(schema: object): ValidateFunction {
  return lazyValidator(ajv, compiled, schema);
}

/** The same for a client's request body, stopping at its first problem (see `requestAjv`). */
export function requestValidatorFor(schema: object): ValidateFunction {
  return lazyValidator(requestAjv, compiledForRequests, schema);
}

function lazyValidator(instance: Ajv, cache: WeakMap<object, ValidateFunction>, schema: object): ValidateFunction {
  let validate = cache.get(schema);
  if (!validate) {
    let real: ValidateFunction | undefined;
    const lazy = ((data: unknown) => {
      real ??= instance.compile(schema);
      const valid = real(data);
      lazy.errors = real.errors;
      return valid;
    }) as ValidateFunction;
    validate = lazy;
    cache.set(schema, validate);
  }
  return validate;
}

/** Validates (and fills defaults into) `value`; returns the issues, empty when valid. */
export function validate(schema: object, value: unknown, isSecretPath: (path: string) => boolean = () => false): ValidationIssue[] {
  const check = validatorFor(schema);
  if (check(value)) return [];
  return describeErrors(check.errors ?? [], value, isSecretPath);
}

export function describeErrors(errors: ErrorObject[], root: unknown, isSecretPath: (path: string) => boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of dropNoise(errors)) {
    const path = error.keyword === 'additionalProperties' || error.keyword === 'required'
      ? `${error.instancePath}/${String(error.params.additionalProperty ?? error.params.missingProperty)}`
      : error.instancePath || '/';
    const found = error.keyword === 'required' ? undefined : valueAt(root, path);
    const issue = { path, message: sentence(error), found: isSecretPath(path) ? mask(found) : found };
    const key = `${issue.path} ${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

/** `anyOf`/`oneOf` failures repeat every branch's complaint; keep the most specific ones. */
function dropNoise(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
  return specific.length > 0 ? specific : errors;
}

function sentence(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${article(String(p.type).replace(/,/g, ' or '))}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known option';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'minItems':
      return `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} items`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long`;
    case 'pattern':
      return `must match ${String(p.pattern)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function article(type: string): string {
  return /^(integer|object|array)/.test(type) ? `an ${type}` : `a ${type}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    if (raw === '') continue;
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Keeps the shape of a secret (its length class and last two characters) without revealing it. */
export function mask(value: unknown): unknown {
  if (typeof value !== 'string') return value === undefined ? undefined : '***';
  if (value.length <= 8) return '***';
  return `***${value.slice(-2)}`;
}

/** `found 42`, `found "abc"`, `found nothing`: the tail of every validation message. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'found nothing';
  const text = maskUrlPasswords(asJson(withSecretsHidden(value)));
  return `found ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

const NOT_FINITE = '\u0000not-finite:';
const NOT_FINITE_JSON = JSON.stringify(NOT_FINITE).slice(1, -1);
const NOT_FINITE_PATTERN = /"\\u0000not-finite:(-?Infinity|NaN)"/g;

/** JSON, but with the numbers JSON cannot write (`1e999` parsed) as what they are, not `null`. */
function asJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${NOT_FINITE}${v}` : v));
  return text.includes(NOT_FINITE_JSON) ? text.replace(NOT_FINITE_PATTERN, '$1') : text;
}

export function formatIssues(prefix: string, issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${prefix}${i.path} ${i.message} (${describeFound(i.found)})`).join('\n');
}
