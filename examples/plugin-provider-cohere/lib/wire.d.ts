/**
 * Cohere's v2 wire format, as far as this adapter reads and writes it. Field names are the JSON
 * ones (snake_case), checked against:
 * - https://docs.cohere.com/reference/chat and https://docs.cohere.com/reference/chat-stream
 *   (request body, response, stream events), mirrored by the official SDKs' generated types
 *   (github.com/cohere-ai/cohere-python src/cohere/v2/raw_client.py and src/cohere/types/*,
 *   github.com/cohere-ai/cohere-typescript src/api/resources/v2/*);
 * - https://docs.cohere.com/v2/docs/streaming (the event sequence);
 * - https://docs.cohere.com/docs/image-inputs (image_url content);
 * - https://docs.cohere.com/reference/embed (POST /v2/embed: at most 96 texts a call, `input_type`
 *   required by v3 and newer models) and GET /v1/models (cohere-python src/cohere/models/client.py,
 *   src/cohere/types/list_models_response.py: `page_size` up to 1000, `next_page_token`);
 * - https://docs.cohere.com/reference/errors (`{"message": "..."}` error bodies).
 */

// ---- Request -------------------------------------------------------------------------------------

export interface CohereTextContent {
  type: 'text';
  text: string;
}

export interface CohereImageContent {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export interface CohereToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type CohereMessage =
  | { role: 'system'; content: string | CohereTextContent[] }
  | { role: 'user'; content: string | Array<CohereTextContent | CohereImageContent> }
  | { role: 'assistant'; content?: string | CohereTextContent[]; tool_calls?: CohereToolCall[]; tool_plan?: string }
  | { role: 'tool'; tool_call_id: string; content: string | CohereTextContent[] };

export interface CohereTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream?: boolean;
  tools?: CohereTool[];
  strict_tools?: boolean;
  /** `json_schema` is optional: without it, any JSON object. */
  response_format?: { type: 'text' } | { type: 'json_object'; json_schema?: Record<string, unknown> };
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  /** Top-k. */
  k?: number;
  /** Top-p. */
  p?: number;
  tool_choice?: 'REQUIRED' | 'NONE';
  thinking?: { type: 'enabled' | 'disabled'; token_budget?: number };
}

// ---- Response ------------------------------------------------------------------------------------

export type CohereFinishReason = 'COMPLETE' | 'STOP_SEQUENCE' | 'MAX_TOKENS' | 'TOOL_CALL' | 'ERROR' | 'TIMEOUT';

/** `billed_units` are the tokens Cohere charges for; `tokens` also count what Cohere adds to the prompt. */
export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
}

export interface CohereChatResponse {
  id: string;
  finish_reason: CohereFinishReason;
  message: {
    role: 'assistant';
    content?: Array<{ type: 'text'; text: string } | { type: 'thinking'; thinking: string }>;
    tool_plan?: string;
    tool_calls?: CohereToolCall[];
    citations?: unknown[];
  };
  usage?: CohereUsage;
}

/** One server-sent event's data; `type` says which (the SSE `event:` line repeats it). */
export type CohereStreamEvent =
  | { type: 'message-start'; id?: string; delta?: { message?: { role?: string } } }
  | { type: 'content-start'; index?: number; delta?: { message?: { content?: { type?: 'text' | 'thinking'; text?: string; thinking?: string } } } }
  | { type: 'content-delta'; index?: number; delta?: { message?: { content?: { text?: string; thinking?: string } } } }
  | { type: 'content-end'; index?: number }
  | { type: 'tool-plan-delta'; delta?: { message?: { tool_plan?: string } } }
  | { type: 'tool-call-start'; index?: number; delta?: { message?: { tool_calls?: Partial<CohereToolCall> & { function?: { name?: string; arguments?: string } } } } }
  | { type: 'tool-call-delta'; index?: number; delta?: { message?: { tool_calls?: { function?: { arguments?: string } } } } }
  | { type: 'tool-call-end'; index?: number }
  | { type: 'citation-start' | 'citation-end' | 'debug'; index?: number }
  | { type: 'message-end'; id?: string; delta?: { finish_reason?: CohereFinishReason; usage?: CohereUsage; error?: string } };

// ---- Embeddings and models -----------------------------------------------------------------------

export type CohereEmbedInputType = 'search_document' | 'search_query' | 'classification' | 'clustering';

export interface CohereEmbedRequest {
  model: string;
  texts: string[];
  input_type: CohereEmbedInputType;
  embedding_types: Array<'float'>;
  output_dimension?: number;
}

export interface CohereEmbedResponse {
  id?: string;
  embeddings?: { float?: number[][] };
  texts?: string[];
  meta?: { billed_units?: { input_tokens?: number } };
}

export interface CohereModelList {
  models?: Array<{ name?: string; endpoints?: string[]; finetuned?: boolean; context_length?: number }>;
  next_page_token?: string;
}
