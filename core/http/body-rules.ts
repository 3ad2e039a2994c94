/**
 * What a request body may be, set per request by the kernel (from `server.timeouts` and
 * `server.inputLimits`) and read by `readJsonBody`, so every body reader, the kernel's or a
 * plugin's, applies the same rules: how long the body may take to arrive, and how deep, long and
 * wide its JSON may be.
 */
import type { IncomingMessage } from 'node:http';
import type { Context as KoaContext, Next } from 'koa';

export interface InputLimits {
  /** Deepest nesting of arrays and objects. Default 64. */
  maxDepth: number;
  /** Most elements in one array (or members in one object). Default 10 000. */
  maxArrayLength: number;
  /** Longest string, in characters as written in the JSON. Default 8 MiB. */
  maxStringLength: number;
}

export interface BodyRules extends InputLimits {
  /** `performance.now()` deadline by which the whole body must have arrived. */
  deadline: number;
  /** Asks for the connection to be closed after the answer (a body that stopped arriving). */
  closeAfterAnswer(): void;
}

const RULES = new WeakMap<IncomingMessage, BodyRules>();

export function bodyRulesOf(req: IncomingMessage): BodyRules | undefined {
  return RULES.get(req);
}

/** Koa middleware: stamps each request with its body rules; the body's clock starts at arrival. */
export function applyBodyRules(bodyMs: number, limits: InputLimits) {
  return function bodyRules(koa: KoaContext, next: Next): Promise<void> {
    RULES.set(koa.req, { ...limits, deadline: koa.startedAt + bodyMs, closeAfterAnswer: () => koa.set('connection', 'close') });
    return next();
  };
}
