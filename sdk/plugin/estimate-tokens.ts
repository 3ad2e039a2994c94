/**
 * The kernel's prompt-size estimate: about four characters per token, plus a few tokens per
 * message for the role markers. Good enough to route by size and to answer a token count when no
 * provider can count exactly; the token counter plugin replaces it with a real tokenizer.
 */
import type { ChatCompletionRequest } from '../../core/protocol/openai.js';

const TOKENS_PER_MESSAGE = 3;

export function estimatePromptTokens(request: Pick<ChatCompletionRequest, 'messages'> & { tools?: unknown }): number {
  let characters = 0;
  let overhead = 0;
  for (const message of request.messages) {
    overhead += TOKENS_PER_MESSAGE;
    if (typeof message.content === 'string') characters += message.content.length;
    else if (Array.isArray(message.content)) for (const part of message.content) if (typeof part.text === 'string') characters += part.text.length;
    for (const call of message.tool_calls ?? []) characters += call.function.name.length + call.function.arguments.length;
  }
  if (Array.isArray(request.tools)) characters += JSON.stringify(request.tools).length;
  return Math.ceil(characters / 4) + overhead;
}
