/**
 * OpenAI's legacy text completions API (`POST /v1/completions`) on the wire, as the official SDK
 * types it: openai/openai-node `src/resources/completions.ts` (`CompletionCreateParamsBase`,
 * `Completion`, `CompletionChoice`), and the API reference at
 * https://platform.openai.com/docs/api-reference/completions. Streamed chunks have the same shape
 * as the whole answer ("unlike the chat endpoint"), end with `data: [DONE]`, and with
 * `stream_options.include_usage` a last chunk carries `usage` and no choices.
 *
 * Only the fields the gateway reads are typed; the rest passes through (index signatures).
 */
import type { Usage } from 'llm-gateway/plugin';

/** `prompt`: a string, strings, one prompt as token ids, or several as token id arrays. */
export type CompletionPrompt = string | string[] | number[] | number[][];

export interface CompletionRequest {
  model: string;
  /** Nullable in OpenAI's types: no prompt means the start of a new document. */
  prompt?: CompletionPrompt | null;
  /** Text after the insertion point (fill-in-the-middle). */
  suffix?: string | null;
  /** Answer with the prompt in front of each completion. */
  echo?: boolean | null;
  /** Candidates generated server-side, of which the `n` best are returned. */
  best_of?: number | null;
  /** How many most likely tokens to report log probabilities for (0-5). */
  logprobs?: number | null;
  n?: number | null;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null; [field: string]: unknown } | null;
  [field: string]: unknown;
}

export type CompletionFinishReason = 'stop' | 'length' | 'content_filter';

export interface TextCompletionChoice {
  text: string;
  index: number;
  logprobs: Record<string, unknown> | null;
  /** Null in streamed chunks until the choice is done. */
  finish_reason: CompletionFinishReason | null;
  [field: string]: unknown;
}

/** A whole answer, or one streamed chunk of it: the same shape. */
export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: TextCompletionChoice[];
  system_fingerprint?: string;
  usage?: Usage | null;
  [field: string]: unknown;
}
