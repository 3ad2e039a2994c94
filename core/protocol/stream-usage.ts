import type { ChatCompletionRequest } from './openai.js';

/**
 * Asks the upstream to report a streamed answer's usage in its last chunk
 * (`stream_options.include_usage`), which an OpenAI-format upstream sends only when asked. The
 * kernel asks on every chat stream it sends (core/provider-call.ts), so that records, cost, budgets
 * and limits settle from the upstream's counts whichever front-end the client came through; every
 * front-end drops the usage chunk for a client that did not ask. True when it added the ask.
 *
 * @deprecated for plugins, which need not call it since the kernel asks: kept so that those that do
 * still work.
 */
export function askForStreamUsage(request: ChatCompletionRequest): boolean {
  if (request.stream !== true || request.stream_options?.include_usage === true) return false;
  request.stream_options = { ...request.stream_options, include_usage: true };
  return true;
}
