/**
 * A request body that fails its schema, as the 400 OpenAI would answer: the first problem, the
 * parameter named the way OpenAI names them (`messages[0].role`), and what was found.
 */
import { type GatewayError, describeErrors, describeFound, invalidRequest, type validatorFor } from 'llm-gateway/plugin';

type ValidateFunction = ReturnType<typeof validatorFor>;

/** @example throw rejectBody(check, body, 'a chat completion request') */
export function rejectBody(check: ValidateFunction, body: unknown, what: string): GatewayError {
  const [issue] = describeErrors(check.errors ?? [], body, () => false);
  if (!issue) return invalidRequest(`The request is not ${what}.`);
  const param = pointerToParam(issue.path);
  if (issue.message === 'is required') return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  return invalidRequest(`Invalid value for '${param}': ${issue.message} (${describeFound(issue.found)}).`, param, 'invalid_value');
}

/** `/messages/0/role` → `messages[0].role`. */
export function pointerToParam(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}
