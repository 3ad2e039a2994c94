/**
 * Whether a request asks its provider to write the prompt to a cache, and for how long. Anthropic
 * writes only what `cache_control` marks, and bills a write above the input price (1.25×, 2× for
 * an hour), so an upper estimate of a request's cost prices its prompt as a write when it carries
 * a mark. The marks stay on the OpenAI view's content parts (the Anthropic front-end keeps them
 * there); only arrays of parts can carry one, so string contents cost nothing to check. A mark on
 * a tool definition has no place in OpenAI's tools: it is read from the client's own request, which
 * is what an Anthropic upstream is sent while no plugin has rewritten the prompt.
 */
import type { ChatCompletionRequest, NativeRequest } from 'llm-gateway/plugin';

export type CacheWriteAsked = 'none' | 'minutes' | 'hour';

type Marked = { cache_control?: { ttl?: unknown } } | null | undefined;

export function cacheWriteAsked(request: ChatCompletionRequest, native?: NativeRequest): CacheWriteAsked {
  let asked: CacheWriteAsked = native?.protocol === 'anthropic' ? marksOn(native.body.tools) : 'none';
  if (asked === 'hour') return asked;
  for (const message of request.messages ?? []) {
    const marks = marksOn(message?.content);
    if (marks === 'hour') return marks;
    if (marks === 'minutes') asked = marks;
  }
  return asked;
}

/** The longest cache write the marks on these parts (content parts, tool definitions) ask for. */
function marksOn(parts: unknown): CacheWriteAsked {
  if (!Array.isArray(parts)) return 'none';
  let asked: CacheWriteAsked = 'none';
  for (const part of parts as ReadonlyArray<Marked>) {
    const mark = part?.cache_control;
    if (!mark) continue;
    if (mark.ttl === '1h') return 'hour';
    asked = 'minutes';
  }
  return asked;
}
