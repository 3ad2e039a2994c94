import { describe, expect, it } from 'vitest';
import { composeRequestPipeline, composeUpstream } from '../../core/pipeline.js';
import type { GatewayPlugin, UpstreamHandler } from '../../core/plugin.js';
import type { ChatResult } from '../../core/providers/provider.js';
import { GatewayError } from '../../core/errors.js';
import { fakeContext } from '../support/context.js';

const completion = (model: string): Extract<ChatResult, { kind: 'json' }> => ({
  kind: 'json',
  status: 200,
  headers: {},
  body: { id: 'x', object: 'chat.completion', created: 0, model, choices: [] },
});

describe('request pipeline', () => {
  it('runs middleware as an onion in config order, ending in the terminal', async () => {
    const trace: string[] = [];
    const layer = (name: string): GatewayPlugin => ({
      name,
      async middleware(_ctx, next) {
        trace.push(`${name} in`);
        await next();
        trace.push(`${name} out`);
      },
    });
    const run = composeRequestPipeline([layer('a'), { name: 'no-hooks' }, layer('b')], async () => void trace.push('dispatch'));
    await run(fakeContext());
    expect(trace).toEqual(['a in', 'b in', 'dispatch', 'b out', 'a out']);
  });

  it('lets a middleware short-circuit by not calling next', async () => {
    let dispatched = false;
    const cache: GatewayPlugin = {
      name: 'cache',
      async middleware(ctx) {
        ctx.response = { kind: 'json', status: 200, body: completion('cached').body };
      },
    };
    const ctx = fakeContext();
    await composeRequestPipeline([cache], async () => void (dispatched = true))(ctx);
    expect(dispatched).toBe(false);
    expect(ctx.response?.kind).toBe('json');
  });

  it('refuses a second next() and names the plugin', async () => {
    const twice: GatewayPlugin = {
      name: 'greedy',
      async middleware(_ctx, next) {
        await next();
        await next();
      },
    };
    await expect(composeRequestPipeline([twice], async () => undefined)(fakeContext())).rejects.toThrow(/plugin greedy called next\(\) more than once/);
  });

  it('propagates errors thrown synchronously or asynchronously', async () => {
    const boom = new GatewayError('invalid_request', 'no');
    const sync: GatewayPlugin = {
      name: 'sync',
      middleware: (() => {
        throw boom;
      }) as never,
    };
    await expect(composeRequestPipeline([sync], async () => undefined)(fakeContext())).rejects.toBe(boom);
    await expect(composeRequestPipeline([], async () => Promise.reject(boom))(fakeContext())).rejects.toBe(boom);
  });
});

describe('upstream pipeline', () => {
  it('wraps the innermost handler with the first plugin outermost', async () => {
    const trace: string[] = [];
    const wrap = (name: string): GatewayPlugin => ({
      name,
      upstream: (next) => async (call) => {
        trace.push(`${name} in`);
        const result = await next(call);
        trace.push(`${name} out`);
        return result;
      },
    });
    const innermost: UpstreamHandler = async (call) => {
      trace.push(`call ${call.target.provider}`);
      return completion(call.target.model);
    };
    const handler = composeUpstream([wrap('retry'), { name: 'plain' }, wrap('breaker')], innermost);
    await handler({ ctx: fakeContext(), target: { provider: 'p', model: 'm' } });
    expect(trace).toEqual(['retry in', 'breaker in', 'call p', 'breaker out', 'retry out']);
  });

  it('lets an interceptor call next again with another target (fallback)', async () => {
    const seen: string[] = [];
    const innermost: UpstreamHandler = async ({ target }) => {
      seen.push(target.provider);
      if (target.provider !== 'c') throw new GatewayError('upstream', `${target.provider} down`, { provider: target.provider });
      return completion(target.model);
    };
    const fallback: GatewayPlugin = {
      name: 'fallback',
      upstream: (next) => async (call) => {
        let last: unknown;
        for (const provider of ['a', 'b', 'c']) {
          try {
            return await next({ ...call, target: { provider, model: 'm' } });
          } catch (error) {
            last = error;
          }
        }
        throw last;
      },
    };
    const result = await composeUpstream([fallback], innermost)({ ctx: fakeContext(), target: { provider: 'a', model: 'm' } });
    expect(result.kind).toBe('json');
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
