import type { ChatCompletionRequest } from './openai.js';

/**
 * Asks the upstream to report a streamed answer's usage in its last chunk
 * (`stream_options.include_usage`), which an OpenAI-format upstream sends only when asked: every
 * plugin that settles a stream from its usage (the token counter, auth's budgets and tpm, rate
 * limits' tpm) asks the same way. The front-end drops that chunk for a client that did not ask.
 */
export function askForStreamUsage(request: ChatCompletionRequest): void {
  if (request.stream === true && request.stream_options?.include_usage !== true) request.stream_options = { ...request.stream_options, include_usage: true };
}
