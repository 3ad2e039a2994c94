/**
 * A chat completion as a Response object (openai-node `Response`, `ResponseOutputItem`,
 * `ResponseUsage`; https://platform.openai.com/docs/api-reference/responses/object): the model's
 * reasoning as a `reasoning` item, its text as a `message` item of `output_text` parts, each tool
 * call as a `function_call` item, and the request's settings echoed the way OpenAI echoes them.
 */
import { reasoningDetailsOf, reasoningTextOf, type ChatCompletion, type ChatCompletionChunk, type ChatMessage, type ThinkingBlock, type ToolCall, type Usage } from 'llm-gateway/plugin';
import { newId } from './ids.js';
import { carriedReasoningItems, encodeReasoning, type TurnReasoningDetails } from './reasoning.js';
import type { ToolNames } from './tools.js';
import type { ResponseFunctionCallItem, ResponseItemStatus, ResponseObject, ResponseOutputItem, ResponseOutputMessage, ResponseReasoningItem, ResponsesRequest, ResponseUsage } from './types.js';

/** A message cut short by the token limit or the content filter is incomplete, as its response is. */
export function messageStatus(finishReason: string | null | undefined): ResponseItemStatus {
  return finishReason === 'length' || finishReason === 'content_filter' ? 'incomplete' : 'completed';
}

/** What a response is, before any of its output: the request's settings as OpenAI reports them. */
export function responseShell(request: ResponsesRequest, id: string, model: string, createdAt = Math.floor(Date.now() / 1000)): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    prompt_cache_key: request.prompt_cache_key ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    safety_identifier: request.safety_identifier ?? null,
    service_tier: request.service_tier ?? 'auto',
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: { format: request.text?.format ?? { type: 'text' }, verbosity: request.text?.verbosity ?? 'medium' },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_logprobs: request.top_logprobs ?? 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}

/** A whole completion as the finished response. */
export function toResponse(completion: ChatCompletion, shell: ResponseObject, names: ToolNames): ResponseObject {
  const choice = completion.choices[0];
  const finish = choice?.finish_reason ?? 'stop';
  const message = choice?.message ?? { role: 'assistant', content: '' };
  const output: ResponseOutputItem[] = [];
  const calls = message.tool_calls ?? [];
  // The upstream's own reasoning items when the view kept them (OpenAI's encrypted_content), as they came.
  const upstream = carriedReasoningItems(message);
  for (const item of upstream ?? []) output.push(upstreamReasoningItem(item));
  const text = upstream ? '' : reasoningTextOf(message);
  const reasoning = reasoningItem(text, message.thinking_blocks ?? [], newId('rs'), toolCallExtras(calls), turnReasoningDetails(reasoningDetailsOf(message), calls.map((call) => call.id)));
  if (reasoning) output.push(reasoning);
  const answer = textOf(message.content);
  const refusal = typeof message.refusal === 'string' ? message.refusal : '';
  if (answer !== '' || refusal !== '' || calls.length === 0) output.push(messageItem(newId('msg'), answer, refusal, messageStatus(finish)));
  for (const call of calls) output.push(functionCallItem(newId('fc'), call, names, 'completed'));
  const tier = servedTier(completion);
  return finished({ ...shell, ...(tier ? { service_tier: tier } : {}), output }, finish, completion.usage);
}

/**
 * The tier that served the answer, where the upstream says (OpenAI: "based on the processing mode
 * actually used", which may differ from the one asked for); else the response keeps the request's.
 */
export function servedTier(answer: ChatCompletion | ChatCompletionChunk): string | undefined {
  return typeof answer.service_tier === 'string' && answer.service_tier !== '' ? answer.service_tier : undefined;
}

/** The response with its final status (`incomplete` when the output was cut short) and usage. */
export function finished(response: ResponseObject, finishReason: string | null, usage: Usage | null | undefined): ResponseObject {
  const incomplete = finishReason === 'length' ? 'max_output_tokens' : finishReason === 'content_filter' ? 'content_filter' : undefined;
  return {
    ...response,
    status: incomplete ? 'incomplete' : 'completed',
    ...(incomplete ? { incomplete_details: { reason: incomplete } } : { completed_at: Math.floor(Date.now() / 1000) }),
    usage: toResponseUsage(usage),
  };
}

/**
 * The model's reasoning as an item: its text as the summary, and in `encrypted_content` what the
 * provider needs back next turn (signed thinking, tool calls' provider data: see reasoning.ts).
 * Reasoning with nothing signed has `encrypted_content` too, as OpenAI's reasoning items always
 * do: a client that keeps nothing on the server (`store: false`) sends back only the reasoning
 * items that have it (the AI SDK), and DeepSeek refuses a tool loop's next turn without its
 * reasoning. Undefined when there is nothing to say or carry.
 */
export function reasoningItem(text: string, blocks: readonly ThinkingBlock[], id: string, toolCalls: Record<string, Record<string, unknown>> = {}, reasoningDetails?: TurnReasoningDetails): ResponseReasoningItem | undefined {
  const carries = blocks.length > 0 || Object.keys(toolCalls).length > 0 || reasoningDetails !== undefined;
  if (text === '' && !carries) return undefined;
  return {
    id,
    type: 'reasoning',
    summary: text === '' ? [] : [{ type: 'summary_text', text }],
    encrypted_content: encodeReasoning({ thinking: blocks, toolCalls, ...(reasoningDetails ? { reasoningDetails } : {}) }),
  };
}

/**
 * A turn's `reasoning_details` (OpenRouter's signed reasoning entries) with its calls' ids, to be
 * given back on that turn in the next request of a tool loop; undefined without calls or entries.
 */
export function turnReasoningDetails(details: readonly unknown[] | undefined, callIds: readonly string[]): TurnReasoningDetails | undefined {
  return details !== undefined && details.length > 0 && callIds.length > 0 ? { calls: callIds, entries: details } : undefined;
}

/**
 * An upstream's reasoning item as it gave it (`REASONING_ITEMS`, reasoning.ts): its id, summary and
 * `encrypted_content`. `text` is what a stream said of it, for an item kept only as it opened.
 */
export function upstreamReasoningItem(item: ResponseReasoningItem, text = ''): ResponseReasoningItem {
  const summary = Array.isArray(item.summary) && item.summary.length > 0 ? item.summary : text === '' ? [] : [{ type: 'summary_text' as const, text }];
  return { ...item, type: 'reasoning', summary };
}

/** The provider data tool calls carry (`extra_content`: Gemini's thought signatures), by call id. */
export function toolCallExtras(calls: ReadonlyArray<{ id: string; extra_content?: unknown }>): Record<string, Record<string, unknown>> {
  const extras: Record<string, Record<string, unknown>> = {};
  for (const call of calls) if (typeof call.extra_content === 'object' && call.extra_content !== null) extras[call.id] = call.extra_content as Record<string, unknown>;
  return extras;
}

export function messageItem(id: string, text: string, refusal: string, status: ResponseItemStatus): ResponseOutputMessage {
  const content: ResponseOutputMessage['content'] = [];
  if (text !== '' || refusal === '') content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  if (refusal !== '') content.push({ type: 'refusal', refusal });
  return { id, type: 'message', status, role: 'assistant', content };
}

export function functionCallItem(id: string, call: ToolCall, names: ToolNames, status: ResponseItemStatus): ResponseFunctionCallItem & { id: string; status: ResponseItemStatus } {
  const { name, namespace } = names.responsesName(call.function.name);
  return { id, type: 'function_call', status, call_id: call.id, name, ...(namespace ? { namespace } : {}), arguments: call.function.arguments };
}

/** Chat usage in the Responses API's terms. */
export function toResponseUsage(usage: Usage | null | undefined): ResponseUsage | null {
  if (!usage) return null;
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0, ...(typeof cacheWrite === 'number' ? { cache_write_tokens: cacheWrite } : {}) },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
  };
}

/**
 * The response as this client sees it: reasoning's `encrypted_content` only when the request's
 * `include` asked for it, as OpenAI does (the store keeps it either way). A reasoning item stays
 * in the output even with nothing to show, as OpenAI's do: a client that sends the output back
 * (OpenAI's function-calling loop) or refers to it by id (the AI SDK) sends its id, and the
 * conversation finds what it carries in the store (Gemini's thought signatures, Anthropic's
 * signed thinking), which the next turn needs.
 */
export function forClient(response: ResponseObject, include: readonly string[] | null | undefined): ResponseObject {
  if (include?.includes('reasoning.encrypted_content')) return response;
  if (!response.output.some((item) => item.type === 'reasoning' && item.encrypted_content !== undefined)) return response;
  return { ...response, output: response.output.map(withoutEncryptedContent) };
}

export function withoutEncryptedContent<T extends { type?: string | null }>(item: T): T {
  if (item.type !== 'reasoning' || !('encrypted_content' in item)) return item;
  const { encrypted_content: _hidden, ...rest } = item as T & { encrypted_content?: unknown };
  return rest as T;
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}
