/**
 * The end of the request pipeline: the route a router plugin chose (or the kernel's own reading of
 * the model name), and the first try through the upstream pipeline, whose interceptors (retry,
 * fallback, breaker) may try again.
 */
import type { GatewayContext, RouteDecision } from './context.js';
import { GatewayError } from './errors.js';
import type { Terminal } from './pipeline.js';
import type { ChatCompletion } from './protocol/openai.js';
import type { UpstreamHandler } from './plugin.js';
import type { ProviderRuntime } from './live/provider-runtime.js';
import type { ProviderRegistry } from './providers/registry.js';

export function dispatcher(runtime: ProviderRuntime, upstream: UpstreamHandler): Terminal {
  return async function dispatch(ctx: GatewayContext): Promise<void> {
    let route = ctx.route ?? runtime.models.resolve(ctx.request.model);
    if (ctx.operation === 'embeddings') route = embeddingTargets(route, runtime.registry);
    ctx.route = route;
    if (ctx.answer) {
      // The front-end answers itself (a token count), after every plugin had its say.
      ctx.response = { kind: 'json', status: 200, body: (await ctx.answer(ctx)) as ChatCompletion };
      return;
    }
    const target = route.targets[0];
    if (!target) throw new GatewayError('unavailable', `No target is left to serve '${route.requestedModel}'.`, { code: 'no_target' });
    const result = await upstream({ ctx, target });
    ctx.response =
      result.kind === 'stream'
        ? { kind: 'stream', status: result.status, chunks: result.chunks }
        : result.kind === 'json'
          ? { kind: 'json', status: result.status, body: result.body, raw: result.raw }
          : { kind: 'embeddings', status: result.status, body: result.body, raw: result.raw };
  };
}

/** Embeddings go only to targets whose provider has an embeddings API; none left is the client's 400. */
function embeddingTargets(route: RouteDecision, providers: ProviderRegistry): RouteDecision {
  const targets = route.targets.filter((t) => providers.get(t.provider)?.embeddings !== undefined);
  if (targets.length === 0) {
    const names = [...new Set(route.targets.map((t) => t.provider))].join(', ');
    throw new GatewayError('invalid_request', `No embeddings API on ${names} for '${route.requestedModel}'.`, { code: 'unsupported_endpoint', param: 'model', retryable: false });
  }
  return targets.length === route.targets.length ? route : { ...route, targets };
}
