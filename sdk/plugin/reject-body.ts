/**
 * A request body that fails its schema, as the 400 OpenAI would answer: one problem, the parameter
 * named the way OpenAI names them (`messages[0].role`), and what was found. Shared by every
 * OpenAI-style front-end (chat completions, completions, responses).
 */
import type { ValidateFunction } from 'ajv';
import { invalidRequest, type GatewayError } from '../../core/errors.js';
import { describeErrors, describeFound } from '../../core/validation.js';

export interface RejectBodyOptions {
  /**
   * Report the deepest complaint rather than the first: where a field may be a string or a list
   * (`input`), the list's own problem says more than "is not a string".
   */
  deepestFirst?: boolean;
}

/** @example if (!check(body)) throw rejectBody(check, body, 'a chat completion request') */
export function rejectBody(check: ValidateFunction, body: unknown, what: string, options: RejectBodyOptions = {}): GatewayError {
  const issues = describeErrors(check.errors ?? [], body, () => false);
  if (options.deepestFirst) issues.sort((a, b) => depth(b.path) - depth(a.path));
  const [issue] = issues;
  if (!issue) return invalidRequest(`The request is not ${what}.`);
  const param = pointerToParam(issue.path);
  if (issue.message === 'is required') return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  return invalidRequest(`Invalid value for '${param}': ${issue.message} (${describeFound(issue.found)}).`, param, 'invalid_value');
}

/** `/messages/0/role` → `messages[0].role`, the way OpenAI names parameters. */
export function pointerToParam(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

const depth = (pointer: string) => pointer.split('/').length;
