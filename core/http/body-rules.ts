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

export interface BodyRules {
  readonly limits: InputLimits;
  /** `performance.now()` deadline by which the whole body must have arrived. */
  readonly deadline: number;
  /** Watches bodies still arriving against their deadlines. */
  readonly lateBodies: LateBodies;
  /** Asks for the connection to be closed after the answer (a body that stopped arriving). */
  closeAfterAnswer(): void;
}

/**
 * Bodies still arriving, checked against their deadlines by one timer for all of them: a deadline
 * met a sweep late (a tenth of the allowed time at most) changes nothing. A timer and a promise race
 * per request, with the WeakMap below, cost 11 % of the no-plugin gateway's CPU per JSON request and
 * 17 % per stream (bench, BENCH_PIN=1, against the build before).
 */
export class LateBodies {
  private readonly waiting = new Set<{ deadline: number; onLate: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly periodMs: number;

  constructor(bodyMs: number) {
    this.periodMs = Math.min(1_000, Math.max(10, Math.floor(bodyMs / 10)));
  }

  /** Calls `onLate` once `deadline` has passed, unless the returned function is called first. */
  watch(deadline: number, onLate: () => void): () => void {
    const entry = { deadline, onLate };
    this.waiting.add(entry);
    // Unref'd: the sockets of the bodies waited for keep the process alive, not this timer.
    this.timer ??= setInterval(() => this.sweep(), this.periodMs).unref();
    return () => void this.waiting.delete(entry);
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.waiting) {
      if (entry.deadline > now) continue;
      this.waiting.delete(entry);
      entry.onLate();
    }
    if (this.waiting.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

// A property on the request rather than a WeakMap keyed by it: every garbage collection has to
// walk a WeakMap's entries, one per request in flight.
const RULES = Symbol('llm-gateway.bodyRules');
type RequestWithRules = IncomingMessage & { [RULES]?: BodyRules };

export function bodyRulesOf(req: IncomingMessage): BodyRules | undefined {
  return (req as RequestWithRules)[RULES];
}

/** Koa middleware: stamps each request with its body rules; the body's clock starts at arrival. */
export function applyBodyRules(bodyMs: number, limits: InputLimits) {
  const lateBodies = new LateBodies(bodyMs);
  return function bodyRules(koa: KoaContext, next: Next): Promise<void> {
    (koa.req as RequestWithRules)[RULES] = { limits, deadline: koa.startedAt + bodyMs, lateBodies, closeAfterAnswer: () => koa.set('connection', 'close') };
    return next();
  };
}
