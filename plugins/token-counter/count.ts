/**
 * Token counts for a chat request and for streamed answer text.
 *
 * OpenAI-family models are counted with their own tokenizer and the chat accounting of OpenAI's
 * cookbook ("How to count tokens with tiktoken", section 6, which it checks against the API for
 * gpt-3.5-turbo, gpt-4, gpt-4o and gpt-4o-mini):
 *
 *   every message     3 tokens (<|start|>{role}\n ... <|end|>) + the tokens of role and content
 *   a `name`          its tokens + 1
 *   the reply         3 tokens (<|start|>assistant<|message|>)
 *
 * The same framing is assumed for the newer o200k models (gpt-4.1, gpt-5, o-series), which the
 * cookbook does not cover. On top of it: images by OpenAI's image rule (./images.ts), tool
 * definitions by the cookbook's tool rule (./tools.ts), and an assistant's `tool_calls` as the
 * tokens of each function name and arguments. OpenAI documents no framing for tool calls and tool
 * results, so a conversation that has them is counted but reported inexact.
 *
 * `exact: true` means every part was counted by the model's tokenizer under a documented rule.
 * Any other model gets the kernel's estimate (about four characters per token) and `exact: false`.
 */
import { type ChatCompletionRequest, type ChatMessage, estimatePromptTokens } from 'llm-gateway/plugin';
import { bareModelId, counterFor, encodingFor } from './encodings.js';
import { imagePartTokens, type TokenEstimate } from './images.js';
import { toolTokens } from './tools.js';

export { ENCODINGS, encodingFor, preloadEncodings } from './encodings.js';
export type { EncodingName } from './encodings.js';
export type { TokenEstimate } from './images.js';

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
/** The SDK's ratio (estimatePromptTokens), for answer text of models we cannot tokenize. */
const CHARACTERS_PER_TOKEN = 4;

export function countPromptTokens(request: ChatCompletionRequest): TokenEstimate {
  const encoding = encodingFor(request.model);
  if (!encoding) return { tokens: estimatePromptTokens(request), exact: false };
  const count = counterFor(encoding);
  const model = bareModelId(request.model);
  let tokens = REPLY_PRIMING;
  let exact = true;
  for (const message of request.messages) {
    const counted = messageTokens(message, model, count);
    tokens += counted.tokens;
    exact &&= counted.exact;
  }
  const tools = toolTokens(request.tools, encoding, count);
  return { tokens: tokens + tools.tokens, exact: exact && tools.exact };
}

/** Tokens of answer text, e.g. the deltas of a stream whose upstream reported no usage. */
export function countCompletionTokens(model: string, text: string): TokenEstimate {
  const encoding = encodingFor(model);
  if (!encoding) return { tokens: Math.ceil(text.length / CHARACTERS_PER_TOKEN), exact: false };
  return { tokens: counterFor(encoding)(text), exact: true };
}

function messageTokens(message: ChatMessage, model: string, count: (text: string) => number): TokenEstimate {
  let tokens = TOKENS_PER_MESSAGE + count(message.role);
  let exact = message.role !== 'tool' && message.role !== 'function';
  if (typeof message.content === 'string') tokens += count(message.content);
  else if (Array.isArray(message.content)) {
    for (const part of message.content) {
      const counted = partTokens(part, model, count);
      tokens += counted.tokens;
      exact &&= counted.exact;
    }
  }
  if (typeof message.name === 'string') tokens += count(message.name) + TOKENS_PER_NAME;
  for (const call of message.tool_calls ?? []) {
    tokens += count(call.function.name) + count(call.function.arguments);
    exact = false;
  }
  return { tokens, exact };
}

function partTokens(part: Record<string, unknown>, model: string, count: (text: string) => number): TokenEstimate {
  switch (part.type) {
    case 'text':
      return { tokens: typeof part.text === 'string' ? count(part.text) : 0, exact: true };
    case 'refusal':
      return { tokens: typeof part.refusal === 'string' ? count(part.refusal) : 0, exact: true };
    case 'image_url':
      return imagePartTokens(model, part.image_url);
    default:
      // Audio and files have no published token rule we could apply without decoding them.
      return { tokens: 0, exact: false };
  }
}
