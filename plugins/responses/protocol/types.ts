/**
 * OpenAI's Responses API, the parts the gateway reads and writes. Checked against the official SDK's
 * types (openai/openai-node `src/resources/responses/responses.ts`: `ResponseCreateParamsBase`,
 * `ResponseInputItem`, `Response`, `ResponseOutputItem`, `ResponseStreamEvent`, `ResponseUsage`;
 * `input-items.ts`: `ResponseItemList`) and the API reference
 * (https://platform.openai.com/docs/api-reference/responses). Only the fields the gateway uses are
 * typed; the index signatures carry everything else through untouched.
 */

/** `POST /v1/responses` (`ResponseCreateParamsBase`). */
export interface ResponsesRequest {
  model: string;
  input?: string | ResponseInputItem[];
  instructions?: string | null;
  previous_response_id?: string | null;
  tools?: ResponseTool[];
  tool_choice?: ResponseToolChoice;
  parallel_tool_calls?: boolean | null;
  text?: { format?: ResponseTextFormat; verbosity?: string | null; [field: string]: unknown };
  reasoning?: { effort?: string | null; summary?: string | null; [field: string]: unknown } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stream?: boolean | null;
  store?: boolean | null;
  include?: string[] | null;
  metadata?: Record<string, string> | null;
  user?: string;
  prompt_cache_key?: string | null;
  safety_identifier?: string | null;
  service_tier?: string | null;
  truncation?: string | null;
  [field: string]: unknown;
}

/** An input or output item: a message, a function call or its output, reasoning, a reference, ... */
export type ResponseInputItem =
  | ResponseMessageItem
  | ResponseFunctionCallItem
  | ResponseFunctionCallOutputItem
  | ResponseReasoningItem
  | ResponseItemReference
  | ResponseOtherItem;

/** `EasyInputMessage`, `ResponseInputItem.Message` and `ResponseOutputMessage` (type may be left out). */
export interface ResponseMessageItem {
  type?: 'message';
  id?: string;
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | ResponseContentPart[];
  status?: ResponseItemStatus;
  [field: string]: unknown;
}

/** `ResponseFunctionToolCall`; a function of a namespace tool names its namespace. */
export interface ResponseFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
  status?: ResponseItemStatus;
  [field: string]: unknown;
}

/** `ResponseInputItem.FunctionCallOutput`: a string, or input text, image and file parts. */
export interface ResponseFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string | null;
  call_id: string;
  output: string | ResponseContentPart[];
  status?: ResponseItemStatus | null;
  [field: string]: unknown;
}

/** `ResponseReasoningItem`. */
export interface ResponseReasoningItem {
  type: 'reasoning';
  id: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  content?: Array<{ type: 'reasoning_text'; text: string }>;
  encrypted_content?: string | null;
  status?: ResponseItemStatus;
  [field: string]: unknown;
}

/** `ResponseInputItem.ItemReference`: an item of an earlier, stored response. */
export interface ResponseItemReference {
  type?: 'item_reference' | null;
  id: string;
  [field: string]: unknown;
}

/** Hosted tools' calls and outputs (`web_search_call`, `computer_call`, `local_shell_call`, ...). */
export interface ResponseOtherItem {
  type: string;
  id?: string;
  [field: string]: unknown;
}

export type ResponseItemStatus = 'in_progress' | 'completed' | 'incomplete';

/**
 * Content parts: `input_text`, `input_image` (`image_url`, a URL or a data URL, or `file_id`),
 * `input_file` (`file_data`, `file_id` or `file_url`), `input_audio`, and in assistant messages
 * `output_text` and `refusal`.
 */
export interface ResponseContentPart {
  type: string;
  text?: string;
  refusal?: string;
  image_url?: string | null;
  file_id?: string | null;
  file_data?: string;
  file_url?: string;
  filename?: string;
  detail?: string;
  [field: string]: unknown;
}

/** `FunctionTool`, `NamespaceTool`, or a hosted tool (`web_search`, `file_search`, `mcp`, ...). */
export type ResponseTool = ResponseFunctionTool | ResponseNamespaceTool | { type: string; [field: string]: unknown };

export interface ResponseFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
  [field: string]: unknown;
}

/** `NamespaceTool`: function (or custom) tools grouped under a name; their calls name the namespace. */
export interface ResponseNamespaceTool {
  type: 'namespace';
  name: string;
  description?: string;
  tools: Array<ResponseFunctionTool | { type: string; [field: string]: unknown }>;
  [field: string]: unknown;
}

/** `ToolChoiceOptions`, `ToolChoiceFunction`, `ToolChoiceAllowed`, or a hosted tool's choice. */
export type ResponseToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<Record<string, unknown>> }
  | { type: string; [field: string]: unknown };

/** `ResponseFormatTextConfig`. */
export type ResponseTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null }
  | { type: string; [field: string]: unknown };

/** `ResponseOutputText`; the gateway has no citations to report, so `annotations` is always empty. */
export interface ResponseOutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs?: unknown[];
}

/** `ResponseOutputMessage`. */
export interface ResponseOutputMessage {
  type: 'message';
  id: string;
  role: 'assistant';
  status: ResponseItemStatus;
  content: Array<ResponseOutputText | { type: 'refusal'; refusal: string }>;
  [field: string]: unknown;
}

/** What a response's `output` holds when the gateway writes it. */
export type ResponseOutputItem = ResponseOutputMessage | (ResponseFunctionCallItem & { id: string; status: ResponseItemStatus }) | ResponseReasoningItem | ResponseCompactionItem;

/** `ResponseCompactionItem`: what a `compaction_trigger` is answered with (see compaction.ts). */
export interface ResponseCompactionItem {
  type: 'compaction';
  id: string;
  encrypted_content: string;
  [field: string]: unknown;
}

/** `ResponseUsage`. */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';

/** `Response`: the object `POST /v1/responses` and `GET /v1/responses/{id}` answer with. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at?: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: ResponseOutputItem[];
  usage?: ResponseUsage | null;
  [setting: string]: unknown;
}

/** One server-sent event of a streamed response (`ResponseStreamEvent`): its `type` is the SSE event name. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}
