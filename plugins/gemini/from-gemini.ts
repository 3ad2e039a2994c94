/**
 * A Gemini `generateContent` answer as an OpenAI chat completion, and the small mappings the stream
 * translator (stream.ts) shares with it: finish reasons, usage, tool calls, log probabilities.
 *
 * - Text parts are joined into `content`; `thought: true` parts into `reasoning_content`.
 * - `functionCall` parts become `tool_calls`. Gemini usually gives calls no id, so one is made up
 *   (`call_` + 24 random hex digits, unique across turns, so a conversation's tool results never
 *   collide); the arguments object is JSON-stringified. A part's `thoughtSignature` rides along as
 *   `extra_content.google.thought_signature`, the field Google's own OpenAI-compatible endpoint
 *   uses, and to-gemini.ts sends it back.
 * - Under `parallel_tool_calls: false` a candidate keeps only its first call (`oneToolCall`).
 * - A call to the function that carries a `response_format` answer (`answerFunction`,
 *   answer-function.ts) is the answer: its arguments are the `content`, and it is no tool call.
 * - Each candidate (`n` > 1 → `candidateCount`) becomes a choice.
 * - `usageMetadata` → usage: Gemini counts thinking apart from the answer (`thoughtsTokenCount`),
 *   OpenAI inside `completion_tokens`; cached prompt tokens are part of `promptTokenCount` in both.
 * - A prompt blocked before any generation (`promptFeedback.blockReason`, no candidates) is a 400
 *   with code `content_filter`: the same request will be blocked again.
 *
 * Checked against https://ai.google.dev/api/generate-content (GenerateContentResponse, Candidate,
 * FinishReason, UsageMetadata, PromptFeedback, LogprobsResult) and
 * https://ai.google.dev/gemini-api/docs/thought-signatures.
 */
import { randomBytes } from 'node:crypto';
import { type ChatCompletion, type ChatMessage, GatewayError, type ToolCall, type Usage } from 'llm-gateway/plugin';
import { separateAnswer } from './answer-function.js';
import { withThoughtSignature } from './signatures.js';
import type { GeminiCandidate, GeminiLogprobsCandidate, GeminiLogprobsResult, GeminiPart, GeminiPromptFeedback, GeminiResponse, GeminiUsageMetadata } from './wire.js';

export interface FromGeminiOptions {
  /** Provider id, named in errors. */
  provider: string;
  /** The model asked for; used when the answer has no `modelVersion`. */
  model: string;
  /** Makes tool call ids; tests pass a predictable one. */
  newToolCallId?: () => string;
  created?: number;
  /**
   * The client said `parallel_tool_calls: false`, which Gemini has no switch for: an answer keeps
   * its first function call only. The model asks for the others in later turns, as it would have
   * been made to.
   */
  oneToolCall?: boolean;
  /** The function whose arguments are the answer (answer-function.ts), when the request declared one. */
  answerFunction?: string;
}

export function toOpenAICompletion(response: GeminiResponse, options: FromGeminiOptions): ChatCompletion {
  const candidates = response.candidates ?? [];
  if (candidates.length === 0) {
    if (response.promptFeedback?.blockReason) throw promptBlocked(options.provider, response.promptFeedback);
    throw new GatewayError('upstream', `${options.provider}: the answer has no candidates`, { provider: options.provider, code: 'upstream_invalid_response', retryable: true });
  }
  const newId = options.newToolCallId ?? newToolCallId;
  const choices = candidates.map((candidate, position) => {
    const { text, reasoning, toolCalls: calls } = readParts(candidate.content?.parts ?? [], newId);
    // The cut comes first: an answer call after a client's call is one the model makes again later.
    const { answer, toolCalls } = separateAnswer(options.oneToolCall ? calls.slice(0, 1) : calls, options.answerFunction);
    // The answer is the content whole: text the model wrote before calling for it would make it no JSON.
    const content = answer !== '' ? answer : text;
    const message: ChatMessage = { role: 'assistant', content: content === '' && toolCalls.length > 0 ? null : content };
    if (reasoning !== '') message.reasoning_content = reasoning;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: candidate.index ?? position,
      message,
      finish_reason: finishReasonFromGemini(candidate.finishReason, toolCalls.length > 0) ?? 'stop',
      logprobs: logprobsFromGemini(candidate.logprobsResult),
    };
  });
  const completion: ChatCompletion = {
    id: completionId(response.responseId),
    object: 'chat.completion',
    created: options.created ?? nowSeconds(),
    model: response.modelVersion ?? options.model,
    choices,
  };
  if (response.usageMetadata) completion.usage = usageFromGemini(response.usageMetadata);
  return completion;
}

/** What one list of parts says, in OpenAI terms. */
export function readParts(parts: readonly GeminiPart[], newId: () => string): { text: string; reasoning: string; toolCalls: ToolCall[] } {
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const part of parts) {
    if (part.functionCall) toolCalls.push(toolCallFromPart(part, newId));
    else if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    }
    // Other parts (executable code, generated images, ...) come from features this adapter does not request.
  }
  return { text, reasoning, toolCalls };
}

export function toolCallFromPart(part: GeminiPart, newId: () => string): ToolCall {
  const call = part.functionCall ?? { name: '' };
  const toolCall: ToolCall = {
    id: typeof call.id === 'string' && call.id !== '' ? call.id : newId(),
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
  return part.thoughtSignature ? withThoughtSignature(toolCall, part.thoughtSignature) : toolCall;
}

/** `call_` and 24 random hex digits: the shape of OpenAI's own ids, unique across turns. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

const MADE_UP_ID = /^call_[0-9a-f]{24}$/;

/**
 * The id to give Gemini back with a function call and its response: one Gemini issued (kept as
 * the tool call's id), never one this adapter made up for a call that had none.
 */
export function issuedCallId(id: unknown): string | undefined {
  return typeof id === 'string' && id !== '' && !MADE_UP_ID.test(id) ? id : undefined;
}

/**
 * Gemini's finishReason as OpenAI's. A candidate that ends normally after calling functions
 * finished with `tool_calls` (Gemini says STOP). Null while a streamed candidate is unfinished.
 * Reasons OpenAI has no word for (LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, ...) become `stop`.
 */
export function finishReasonFromGemini(reason: string | undefined, hasToolCalls: boolean): string | null {
  switch (reason) {
    case undefined:
    case '':
      return null;
    case 'STOP':
      return hasToolCalls ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

/**
 * Gemini's token counts as OpenAI's usage. Thinking tokens are output tokens for OpenAI (and billed
 * as such by Google), so they are added to `completion_tokens` and reported again as
 * `reasoning_tokens`. `cachedContentTokenCount` is already inside `promptTokenCount`.
 */
export function usageFromGemini(usage: GeminiUsageMetadata): Usage {
  const prompt = usage.promptTokenCount ?? 0;
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + thoughts;
  const result: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (usage.cachedContentTokenCount !== undefined) {
    result.prompt_tokens_details = { cached_tokens: usage.cachedContentTokenCount };
    // LiteLLM's top-level name, which Roo Code and others read; Gemini reports no cache writes.
    result.cache_read_input_tokens = usage.cachedContentTokenCount;
  }
  if (usage.thoughtsTokenCount !== undefined) result.completion_tokens_details = { reasoning_tokens: thoughts };
  return result;
}

/** OpenAI's `logprobs.content` from Gemini's per-step chosen and top candidates; null without them. */
export function logprobsFromGemini(result: GeminiLogprobsResult | undefined): { content: OpenAILogprob[] } | null {
  const chosen = result?.chosenCandidates;
  if (!chosen || chosen.length === 0) return null;
  const top = result?.topCandidates ?? [];
  return {
    content: chosen.map((candidate, step) => ({
      ...logprob(candidate),
      top_logprobs: (top[step]?.candidates ?? []).map(logprob),
    })),
  };
}

interface OpenAILogprobBase {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface OpenAILogprob extends OpenAILogprobBase {
  top_logprobs: OpenAILogprobBase[];
}

function logprob(candidate: GeminiLogprobsCandidate): OpenAILogprobBase {
  const token = candidate.token ?? '';
  return { token, logprob: candidate.logProbability ?? 0, bytes: [...Buffer.from(token, 'utf8')] };
}

/** The prompt was refused before anything was generated: a 400 the client must act on. */
export function promptBlocked(provider: string, feedback: GeminiPromptFeedback): GatewayError {
  const why = feedback.blockReasonMessage ? `${feedback.blockReason}: ${feedback.blockReasonMessage}` : String(feedback.blockReason);
  return new GatewayError('invalid_request', `${provider}: the prompt was blocked by Gemini's content filter (${why})`, {
    provider,
    code: 'content_filter',
    retryable: false,
  });
}

/** Candidates of a streamed event, each with its index (Gemini omits it on some events). */
export function indexedCandidates(response: GeminiResponse): Array<{ index: number; candidate: GeminiCandidate }> {
  return (response.candidates ?? []).map((candidate, position) => ({ index: candidate.index ?? position, candidate }));
}

export function completionId(responseId: string | undefined): string {
  return `chatcmpl-${responseId && responseId !== '' ? responseId : randomBytes(12).toString('hex')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
