/** The two facts the kernel attaches to every Koa context, typed instead of hidden in `ctx.state`. */
declare module 'koa' {
  interface DefaultContext {
    /** From the client's `x-request-id` when it sent a sane one, else a fresh UUID. */
    requestId: string;
    /** `performance.now()` when the request reached the gateway. */
    startedAt: number;
  }
}
export {};
