/**
 * The OpenAI chat wire format, the gateway's internal lingua franca.
 *
 * Only the fields the gateway reads are typed; everything else is carried through untouched
 * (the index signatures), so a field OpenAI adds tomorrow still reaches the upstream and the client.
 */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';

export interface ChatMessage {
  role: ChatRole;
  content?: string | ReadonlyArray<Record<string, unknown>> | null;
  name?: string;
  tool_calls?: ReadonlyArray<ToolCall>;
  tool_call_id?: string;
  [field: string]: unknown;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
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
  prompt_tokens_details?: { cached_tokens?: number; [field: string]: unknown };
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
    delta: Partial<ChatMessage> & {
      tool_calls?: Array<Partial<ToolCall> & { index: number; function?: { name?: string; arguments?: string } }>;
    };
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
