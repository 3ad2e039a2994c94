/**
 * The two pipelines, composed once at start.
 *
 * Request middleware runs as an onion in config order, ending in the kernel's dispatch. Upstream
 * interceptors wrap the provider call, first plugin outermost; unlike Koa middleware an interceptor
 * may call its `next` again (retry, fallback), because each call is a fresh invocation of a plain
 * function rather than a step through a shared index.
 */
import type { GatewayContext } from './context.js';
import type { GatewayPlugin, RequestMiddleware, UpstreamHandler } from './plugin.js';

export type Terminal = (ctx: GatewayContext) => Promise<void>;

export function composeRequestPipeline(plugins: readonly GatewayPlugin[], terminal: Terminal): Terminal {
  const stack: Array<{ name: string; run: RequestMiddleware }> = [];
  for (const plugin of plugins) if (plugin.middleware) stack.push({ name: plugin.name, run: plugin.middleware });
  if (stack.length === 0) return terminal;

  return function runRequestPipeline(ctx) {
    let reached = -1;
    const step = (i: number): Promise<void> => {
      if (i <= reached) {
        return Promise.reject(new Error(`plugin ${stack[i - 1]?.name ?? '?'} called next() more than once; use an upstream interceptor to retry`));
      }
      reached = i;
      const layer = stack[i];
      if (!layer) return terminal(ctx);
      try {
        return layer.run(ctx, () => step(i + 1));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return step(0);
  };
}

export function composeUpstream(plugins: readonly GatewayPlugin[], innermost: UpstreamHandler): UpstreamHandler {
  let handler = innermost;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const intercept = plugins[i]?.upstream;
    if (intercept) handler = intercept(handler);
  }
  return handler;
}
