/**
 * Whether a request asks its provider to write the prompt to a cache, and for how long. Anthropic
 * writes only what `cache_control` marks, and bills a write above the input price (1.25×, 2× for
 * an hour), so an upper estimate of a request's cost prices its prompt as a write when it carries
 * a mark. The marks stay on the OpenAI view's content parts (the Anthropic front-end keeps them
 * there); only arrays of parts can carry one, so string contents cost nothing to check.
 */
import type { ChatCompletionRequest } from 'llm-gateway/plugin';

export type CacheWriteAsked = 'none' | 'minutes' | 'hour';

export function cacheWriteAsked(request: ChatCompletionRequest): CacheWriteAsked {
  let asked: CacheWriteAsked = 'none';
  for (const message of request.messages ?? []) {
    const content: unknown = message?.content;
    if (!Array.isArray(content)) continue;
    for (const part of content as ReadonlyArray<{ cache_control?: { ttl?: unknown } } | null>) {
      const mark = part?.cache_control;
      if (!mark) continue;
      if (mark.ttl === '1h') return 'hour';
      asked = 'minutes';
    }
  }
  return asked;
}
