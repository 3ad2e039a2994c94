/**
 * The OpenAI chat wire format, the gateway's internal lingua franca.
 *
 * Only the fields the gateway reads are typed; everything else is carried through untouched
 * (the index signatures), so a field OpenAI adds tomorrow still reaches the upstream and the client.
 */

/** The roles the gateway knows; a client may send others (a newer API's), which pass through to the upstream. */
export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function' | (string & {});

export interface ChatMessage {
  role: ChatRole;
  content?: string | ReadonlyArray<Record<string, unknown>> | null;
  name?: string;
  tool_calls?: ReadonlyArray<ToolCall>;
  tool_call_id?: string;
  /**
   * Extension (DeepSeek's, also used by OpenRouter and vLLM): the model's reasoning as text. Native
   * adapters fill it from Anthropic thinking blocks and Gemini thought parts.
   */
  reasoning_content?: string | null;
  /**
   * Extension: Anthropic thinking blocks with their signatures, which Anthropic needs back verbatim
   * on the next turn of a tool-use conversation. Other providers ignore them.
   */
  thinking_blocks?: ReadonlyArray<ThinkingBlock>;
  [field: string]: unknown;
}

export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  [field: string]: unknown;
}

/** A piece of a streamed tool call: the first piece has id and name, later ones more arguments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
  [field: string]: unknown;
}

/** What one streamed chunk adds to the answer. */
export interface ChatDelta {
  role?: ChatRole;
  content?: string | null;
  tool_calls?: ToolCallDelta[];
  reasoning_content?: string | null;
  thinking_blocks?: ReadonlyArray<ThinkingBlock>;
  [field: string]: unknown;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean; [field: string]: unknown } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  [field: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /**
   * `cached_tokens`: prompt tokens read from the provider's cache (a subset of prompt_tokens).
   * `cache_write_tokens` (extension): prompt tokens written to it, billed at a premium by Anthropic
   * (also a subset of prompt_tokens). `cache_write_1h_tokens` (extension): those of them written
   * with a 1-hour lifetime, which Anthropic bills higher than its default 5-minute writes.
   */
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; cache_write_1h_tokens?: number; [field: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: ChatMessage;
    finish_reason: string | null;
    logprobs?: unknown;
    [field: string]: unknown;
  }>;
  usage?: Usage;
  [field: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: ChatDelta;
    finish_reason: string | null;
    logprobs?: unknown;
    [field: string]: unknown;
  }>;
  usage?: Usage | null;
  [field: string]: unknown;
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  [field: string]: unknown;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}

/** `POST /v1/embeddings`. */
export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [field: string]: unknown;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  [field: string]: unknown;
}

/**
 * How a tool message says its tool failed. OpenAI's tool messages have no error flag, so a
 * translation from an API that has one (Anthropic's `is_error`) writes this before the result,
 * where the model reads it; a translation into an API with a flag of its own (Gemini's `error` key
 * of a function response) reads it back.
 */
export const TOOL_ERROR_PREFIX = '[tool error] ';
