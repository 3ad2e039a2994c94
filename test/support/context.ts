/** A GatewayContext for unit tests, without an HTTP exchange behind it. */
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../../core/context.js';
import type { ChatCompletionRequest } from '../../core/protocol/openai.js';

export function fakeContext(request: Partial<ChatCompletionRequest> = {}): GatewayContext {
  return new GatewayContext({
    endpoint: 'chat.completions',
    operation: 'chat',
    id: 'req-test',
    http: {} as KoaContext,
    request: { model: 'p/m', messages: [{ role: 'user', content: 'hi' }], ...request },
    startedAt: performance.now(),
  });
}
