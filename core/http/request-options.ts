/**
 * The request body's `gateway` object: per-request options for the gateway's plugins (routing
 * hints, cache control, ...), which never reach an upstream. Each plugin declares the fields it
 * reads (`requestOptions` on the plugin, with a JSON Schema each); the kernel takes the object out
 * of the body, checks it against all of them at once, and hands it to plugins as
 * `ctx.requestOptions`.
 */
import { invalidRequest } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';
import { describeErrors, describeFound, requestValidatorFor } from '../validation.js';

export type RequestOptions = Readonly<Record<string, unknown>>;

const NONE: RequestOptions = Object.freeze({});

/** Builds the function that takes the `gateway` object out of a body and checks it. */
export function requestOptionsReader(plugins: readonly GatewayPlugin[]): (body: Record<string, unknown>) => RequestOptions {
  const properties: Record<string, object> = {};
  for (const plugin of plugins) Object.assign(properties, plugin.requestOptions);
  const known = Object.keys(properties);
  const check = requestValidatorFor({ type: 'object', additionalProperties: false, properties });

  return function takeRequestOptions(body) {
    const options = body.gateway;
    if (options === undefined) return NONE;
    delete body.gateway;
    if (options === null) return NONE;
    if (typeof options !== 'object' || Array.isArray(options)) {
      throw invalidRequest(`'gateway' must be an object of gateway options (${known.join(', ') || 'none are known'}).`, 'gateway', 'invalid_value');
    }
    if (check(options)) return options as RequestOptions;
    const [issue] = describeErrors(check.errors ?? [], options, () => false);
    const param = `gateway${(issue?.path ?? '').replace(/\//g, '.')}`;
    if (issue?.message === 'is not a known option') {
      throw invalidRequest(`Unknown field in 'gateway': ${param.slice('gateway.'.length)} (allowed: ${known.join(', ') || 'none'}).`, param, 'invalid_value');
    }
    throw invalidRequest(`'${param}' ${issue?.message ?? 'is invalid'} (${describeFound(issue?.found)}).`, param, 'invalid_value');
  };
}
