/** What every OpenAI-format event stream (chat and text completions) ends with, finished or failed. */
import { type GatewayContext, clientGone, toGatewayError, toOpenAIErrorBody } from 'llm-gateway/plugin';

/** The last event of a stream that finished. */
export const DONE_EVENT = 'data: [DONE]\n\n';

/**
 * A failure after the first byte: an error event and no `[DONE]`, so a cut answer never looks like
 * a complete one; nothing for a client that already left. For `mapStream`'s `error`.
 */
export function failureEvent(ctx: GatewayContext): (cause: unknown) => string | undefined {
  return (cause) => {
    if (clientGone(ctx)) return undefined;
    const error = toGatewayError(cause);
    ctx.error = error;
    return `data: ${JSON.stringify(toOpenAIErrorBody(error))}\n\n`;
  };
}
