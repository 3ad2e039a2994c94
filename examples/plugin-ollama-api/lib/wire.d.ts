/**
 * Ollama's native API, as far as this front-end reads and writes it. Checked against Ollama's
 * docs/api.md (github.com/ollama/ollama: "Generate a completion", "Generate a chat completion",
 * "List Local Models", "Generate Embeddings", "Version"; its later revision adds `think`, a
 * message's `thinking` and `tool_name`, and streamed tool calls) and the server's own types
 * (api/types.go: ChatRequest, Message, ToolCall, ChatResponse, GenerateResponse, Metrics,
 * ListModelResponse, ModelDetails; server/routes.go streams `application/x-ndjson` and reports
 * errors as `{"error": "..."}`, on a line of its own once a stream has begun).
 */

export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  thinking?: string;
  /** Base64 images, without a `data:` prefix. */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  /** On a tool message: the tool that produced it. */
  tool_name?: string;
  tool_call_id?: string;
}

/** What every generating request may carry besides its input. */
export interface OllamaGenerationFields {
  model: string;
  /** `true` unless the client says `false`. */
  stream?: boolean;
  /** `"json"`, or a JSON Schema the answer must follow. */
  format?: 'json' | '' | Record<string, unknown>;
  /** Modelfile parameters: temperature, top_p, top_k, num_predict, stop, seed, penalties... */
  options?: Record<string, unknown>;
  /** For thinking models: on, off, or a level. */
  think?: boolean | 'low' | 'medium' | 'high';
  keep_alive?: string | number;
}

export interface OllamaChatRequest extends OllamaGenerationFields {
  messages: OllamaMessage[];
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown> } }>;
}

export interface OllamaGenerateRequest extends OllamaGenerationFields {
  prompt: string;
  system?: string;
  images?: string[];
  suffix?: string;
  raw?: boolean;
  template?: string;
  context?: number[];
}

/** Timings in nanoseconds and token counts, on the last object of an answer. */
export interface OllamaMetrics {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

export interface OllamaChatResponse extends Partial<OllamaMetrics> {
  model: string;
  created_at: string;
  message: { role: 'assistant'; content: string; thinking?: string; tool_calls?: OllamaToolCall[] };
  done: boolean;
  done_reason?: string;
}

export interface OllamaGenerateResponse extends Partial<OllamaMetrics> {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: boolean;
  done_reason?: string;
}

export interface OllamaModel {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: { parent_model: string; format: string; family: string; families: string[] | null; parameter_size: string; quantization_level: string };
}
