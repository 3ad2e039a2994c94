/**
 * `POST /v1/chat/completions`: the OpenAI front-end. Parses and checks the request, runs the
 * exchange, and renders the answer as OpenAI JSON or `data:` events ending in `[DONE]`. A failure
 * after the first byte ends the stream with an error event and no `[DONE]`, so a cut answer never
 * looks like a complete one.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../context.js';
import { toGatewayError, toOpenAIErrorBody } from '../errors.js';
import type { ChatCompletionChunk } from '../protocol/openai.js';
import { validateChatRequest } from '../protocol/validate-chat-request.js';
import { takeRoutingHints } from '../routing/hints.js';
import { clientGone, runExchange, type ExchangeDeps, type FrontEnd } from './exchange.js';
import { readJsonBody } from './read-json-body.js';

export interface ChatRouteDeps extends ExchangeDeps {
  bodyLimit: number;
}

export function chatCompletionsRoute(deps: ChatRouteDeps) {
  return async function chatCompletions(koa: KoaContext): Promise<void> {
    const body = await readJsonBody(koa.req, deps.bodyLimit);
    const hints = takeRoutingHints(koa.req.headers, body);
    const request = validateChatRequest(body);
    const ctx = new GatewayContext({ endpoint: 'chat.completions', id: koa.requestId, http: koa, request, startedAt: koa.startedAt });
    ctx.hints = hints;
    // Adapters may report usage the client did not ask for (Anthropic always does); plugins want
    // it, the client gets exactly what it asked for.
    const includeUsage = request.stream_options?.include_usage === true;
    await runExchange(koa, ctx, deps, {
      renderJson: (completion) => completion,
      encodeStream: (chunks) => openAIEvents(ctx, chunks, includeUsage),
    } satisfies FrontEnd);
  };
}

const DONE = 'data: [DONE]\n\n';

async function* openAIEvents(ctx: GatewayContext, chunks: AsyncIterable<ChatCompletionChunk>, includeUsage: boolean): AsyncGenerator<string> {
  try {
    for await (const chunk of chunks) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      if (!includeUsage && chunk.usage && chunk.choices.length === 0) continue;
      yield `data: ${JSON.stringify(chunk)}\n\n`;
    }
    yield DONE;
  } catch (cause) {
    if (clientGone(ctx)) return;
    const error = toGatewayError(cause);
    ctx.error = error;
    yield `data: ${JSON.stringify(toOpenAIErrorBody(error))}\n\n`;
  }
}
