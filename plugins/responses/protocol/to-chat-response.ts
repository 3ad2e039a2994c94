/**
 * An upstream's Responses API answer in OpenAI chat terms, for adapters that pass a Responses
 * request through natively (OpenAI, Azure OpenAI): plugins still read usage, text and tool calls as
 * chat completions and chunks, while each carries the upstream's own body or event (see
 * `attachNative`) for the Responses front-end to replay as it came.
 */
import { GatewayError, attachNative, reportedUpstreamError, type ChatCompletion, type ChatCompletionChunk, type ChatDelta, type ToolCall, type Usage } from 'llm-gateway/provider-kit';
import { pricedServiceTier } from 'llm-gateway/plugin';
import { REASONING_ITEMS } from './reasoning.js';
import type { ResponseObject, ResponseReasoningItem, ResponseUsage } from './types.js';

/** A whole Response as a chat completion carrying the upstream's body (`raw`, exactly as received). */
export function toChatCompletion(response: ResponseObject, raw: string): ChatCompletion {
  let text = '';
  let reasoning = '';
  let refusal = '';
  const toolCalls: ToolCall[] = [];
  const reasoningItems: ResponseReasoningItem[] = [];
  for (const item of response.output ?? []) {
    if (item.type === 'message') {
      for (const part of item.content ?? []) {
        if (part.type === 'output_text') text += part.text;
        else if (part.type === 'refusal') refusal += part.refusal;
      }
    } else if (item.type === 'reasoning') {
      reasoning += [...(item.summary ?? []), ...(item.content ?? [])].map((part) => part.text).join('');
      reasoningItems.push(item);
    } else if (item.type === 'function_call') {
      toolCalls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
    }
  }
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (reasoning !== '') message.reasoning_content = reasoning;
  // The items themselves too (OpenAI's encrypted_content, their ids): see REASONING_ITEMS.
  if (reasoningItems.length > 0) message[REASONING_ITEMS] = reasoningItems;
  if (refusal !== '') message.refusal = refusal;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const completion: ChatCompletion = {
    id: response.id,
    object: 'chat.completion',
    created: response.created_at,
    model: response.model,
    choices: [{ index: 0, message, finish_reason: finishReason(response, toolCalls.length > 0), logprobs: null }],
  };
  const usage = toChatUsage(response.usage, response);
  if (usage) completion.usage = usage;
  return attachNative(completion, { protocol: 'openai-responses', event: 'response', data: raw });
}

/**
 * A Responses event stream as chat chunks. Every event yields exactly one chunk carrying the event
 * verbatim (an empty one when it says nothing in chat terms), so the client gets every byte; the
 * end (`response.completed` or `.incomplete`) also yields the finish reason and usage. A
 * `response.failed` or `error` event is passed on, then fails the stream (`failure`).
 */
export class ResponsesStreamTranslator {
  private id = '';
  private model = '';
  private created = Math.floor(Date.now() / 1000);
  /** Output index of a function_call item → its chat tool call index. */
  private readonly toolIndex = new Map<number, number>();
  private ended = false;
  /** Set once the upstream reported a failure: the stream must fail after passing it on. */
  failure: GatewayError | undefined;

  constructor(private readonly provider: string) {}

  /** True once the response reached its end (completed, incomplete or failed). */
  get complete(): boolean {
    return this.ended;
  }

  translate(event: string, raw: string): ChatCompletionChunk[] {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw malformed(this.provider, 'the stream carried an event that is not JSON');
    }
    const type = typeof data.type === 'string' ? data.type : event;
    const chunks = this.chunksFor(type, data);
    const carrier = chunks[0] ?? this.chunk([]);
    attachNative(carrier, { protocol: 'openai-responses', event: event || type, data: raw });
    return [carrier, ...chunks.slice(1)];
  }

  /** Whether the stream ended properly; call when the upstream body ends. */
  assertComplete(): void {
    if (!this.ended) throw malformed(this.provider, 'the stream ended before the response was complete', 'upstream_stream_truncated');
  }

  private chunksFor(type: string, data: Record<string, unknown>): ChatCompletionChunk[] {
    switch (type) {
      case 'response.created': {
        const response = data.response as Partial<ResponseObject> | undefined;
        this.id = String(response?.id ?? '');
        this.model = String(response?.model ?? '');
        if (typeof response?.created_at === 'number') this.created = response.created_at;
        return [this.delta({ role: 'assistant', content: '' })];
      }
      case 'response.output_text.delta':
        return [this.delta({ content: String(data.delta ?? '') })];
      case 'response.refusal.delta':
        return [this.delta({ refusal: String(data.delta ?? '') })];
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return [this.delta({ reasoning_content: String(data.delta ?? '') })];
      case 'response.output_item.added': {
        const item = data.item as { type?: string; call_id?: string; name?: string; arguments?: string } | undefined;
        // A reasoning item's id as it opens, the whole item once done (see REASONING_ITEMS).
        if (item?.type === 'reasoning') return [this.delta({ [REASONING_ITEMS]: [item] })];
        if (item?.type !== 'function_call') return [];
        const index = this.toolIndex.size;
        this.toolIndex.set(Number(data.output_index), index);
        return [this.delta({ tool_calls: [{ index, id: String(item.call_id ?? ''), type: 'function', function: { name: String(item.name ?? ''), arguments: item.arguments ?? '' } }] })];
      }
      case 'response.output_item.done': {
        const item = data.item as { type?: string } | undefined;
        return item?.type === 'reasoning' ? [this.delta({ [REASONING_ITEMS]: [item] })] : [];
      }
      case 'response.function_call_arguments.delta': {
        const index = this.toolIndex.get(Number(data.output_index));
        return index === undefined ? [] : [this.delta({ tool_calls: [{ index, function: { arguments: String(data.delta ?? '') } }] })];
      }
      case 'response.completed':
      case 'response.incomplete': {
        this.ended = true;
        const response = (data.response ?? {}) as ResponseObject;
        const finish = this.chunk([{ index: 0, delta: {}, finish_reason: finishReason(response, this.toolIndex.size > 0), logprobs: null }]);
        const usage = toChatUsage(response.usage, response);
        return usage ? [finish, { ...this.chunk([]), usage }] : [finish];
      }
      case 'response.failed':
      case 'error': {
        this.ended = true;
        const error = ((data.response as ResponseObject | undefined)?.error ?? data) as { code?: unknown; message?: unknown };
        this.failure = failureOf(this.provider, error);
        return [];
      }
      default:
        return [];
    }
  }

  private delta(delta: ChatDelta): ChatCompletionChunk {
    return this.chunk([{ index: 0, delta, finish_reason: null, logprobs: null }]);
  }

  private chunk(choices: ChatCompletionChunk['choices']): ChatCompletionChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices };
  }
}

function finishReason(response: Partial<ResponseObject>, calledTools: boolean): string {
  const reason = response.incomplete_details?.reason;
  if (response.status === 'incomplete') return reason === 'content_filter' ? 'content_filter' : 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** Responses usage in chat terms; `response`, the Response it came with, for what is billed besides tokens. */
export function toChatUsage(usage: ResponseUsage | null | undefined, response?: Partial<ResponseObject>): Usage | undefined {
  if (!usage || typeof usage.input_tokens !== 'number') return undefined;
  const out: Usage = { prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens ?? 0, total_tokens: usage.total_tokens ?? usage.input_tokens + (usage.output_tokens ?? 0) };
  const cached = usage.input_tokens_details?.cached_tokens;
  if (typeof cached === 'number') out.prompt_tokens_details = { cached_tokens: cached };
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out.completion_tokens_details = { reasoning_tokens: reasoning };
  // The hosted web search is billed a call (plugins/cost `webSearchPer1k`), in the name Anthropic's usage gives it.
  let searches = 0;
  // Hosted tools' calls are not among ResponseOutputItem's kinds.
  for (const item of (response?.output ?? []) as ReadonlyArray<{ type: string; action?: { type?: unknown } }>) {
    if (item.type === 'web_search_call' && (item.action?.type ?? 'search') === 'search') searches++;
  }
  if (searches > 0) out.server_tool_use = { web_search_requests: searches };
  // The processing tier that served it, billed at its own rates (plugins/cost `serviceTiers`).
  const tier = pricedServiceTier(response?.service_tier);
  if (tier) out.service_tier = tier;
  return out;
}

/**
 * The failure an upstream reported (`response.failed`'s error, or an `error` event): one it calls a
 * rate limit stays a rate limit (a 429, retried and failed over as one), by the rule the chat
 * adapter applies to an error mid-stream (provider kit `reportedUpstreamError`); any other is the
 * upstream's failure under its own code.
 */
function failureOf(provider: string, error: { code?: unknown; message?: unknown }): GatewayError {
  // Its code and message only: an `error` event's own `type` is the event's name, not the error's.
  const reported = reportedUpstreamError(provider, JSON.stringify({ error: { code: error.code, message: error.message } }));
  if (reported.kind === 'rate_limited') return reported;
  return new GatewayError('upstream', `${provider}: ${typeof error.message === 'string' ? error.message : 'the response failed'}`, {
    provider,
    code: typeof error.code === 'string' ? error.code : 'upstream_response_failed',
    retryable: true,
  });
}

function malformed(provider: string, what: string, code = 'upstream_invalid_response'): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code, retryable: true });
}
