/**
 * OpenAI chat chunks as the Responses API's event stream (`ResponseStreamEvent` in openai-node
 * `src/resources/responses/responses.ts`; https://platform.openai.com/docs/api-reference/responses-streaming),
 * each event with a `sequence_number` one above the last:
 *
 *   response.created, response.in_progress
 *   reasoning:  output_item.added, reasoning_summary_part.added, reasoning_summary_text.delta…,
 *               reasoning_summary_text.done, reasoning_summary_part.done, output_item.done
 *   text:       output_item.added, content_part.added, output_text.delta…, output_text.done,
 *               content_part.done, output_item.done (a refusal: refusal.delta…, refusal.done)
 *   a call:     output_item.added, function_call_arguments.delta…, function_call_arguments.done, output_item.done
 *   (then, when the calls carry provider data, a reasoning item that keeps it for the next turn)
 *   response.completed, or response.incomplete (output cut short), or response.failed (see `fail`)
 *
 * Reasoning and text are written one item at a time, as they come; tool calls stay open until the
 * end, because chat streams may interleave the arguments of parallel calls.
 */
import { StreamedReasoningDetails, StreamedThinking, StreamedToolCalls, reasoningDetailsOf, reasoningTextOf, type ChatCompletionChunk, type ThinkingBlock, type Usage } from 'llm-gateway/plugin';
import { finished, forClient, functionCallItem, messageStatus, reasoningItem, servedTier, turnReasoningDetails, upstreamReasoningItem, withoutEncryptedContent } from './from-chat-response.js';
import { newId } from './ids.js';
import { REASONING_ITEMS, carriedReasoningItems } from './reasoning.js';
import type { ToolNames } from './tools.js';
import type { ResponseItemStatus, ResponseObject, ResponseOutputItem, ResponseOutputMessage, ResponseReasoningItem, ResponseStreamEvent } from './types.js';

interface OpenReasoning {
  kind: 'reasoning';
  index: number;
  id: string;
  text: string;
  blocks: ThinkingBlock[];
  summaryStarted: boolean;
  /** The upstream's own item (`REASONING_ITEMS`, reasoning.ts): its id, and once done its encrypted_content. */
  upstream?: ResponseReasoningItem;
}

interface OpenMessage {
  kind: 'message';
  index: number;
  id: string;
  /** The content parts in the order they opened: text and refusal, each at most once. */
  parts: Array<{ type: 'output_text' | 'refusal'; value: string }>;
}

interface OpenCall {
  index: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
  /** The provider's data on the call (`extra_content`: Gemini's thought signature). */
  extra?: Record<string, unknown>;
}

export class ResponseEventWriter {
  private sequence = 0;
  private readonly output: ResponseOutputItem[] = [];
  private current: OpenReasoning | OpenMessage | undefined;
  /** A tool call's number (`callNumbers`) → its open function_call item. */
  private readonly calls = new Map<number, OpenCall>();
  private readonly callNumbers = new StreamedToolCalls();
  private finishReason: string | null = null;
  private usage: Usage | undefined;
  /** The tier that served the answer, as the upstream's chunks say (servedTier). */
  private serviceTier: string | undefined;
  /** A streamed thinking block's text, for its signature's block. */
  private readonly thinking = new StreamedThinking();
  /** The host's signed reasoning entries (OpenRouter's `reasoning_details`), carried with the calls' data at the end. */
  private readonly details = new StreamedReasoningDetails();
  private final: ResponseObject | undefined;

  /**
   * `include` is the request's: reasoning's `encrypted_content` goes out only when it asks for it
   * (the finished `response` keeps it for the store either way).
   */
  constructor(
    private readonly shell: ResponseObject,
    private readonly names: ToolNames,
    private readonly include?: readonly string[] | null,
  ) {}

  start(): ResponseStreamEvent[] {
    return [this.event('response.created', { response: this.shell }), this.event('response.in_progress', { response: this.shell })];
  }

  write(chunk: ChatCompletionChunk): ResponseStreamEvent[] {
    const events: ResponseStreamEvent[] = [];
    if (chunk.usage) this.usage = chunk.usage;
    this.serviceTier ??= servedTier(chunk);
    const choice = chunk.choices?.find((c) => c.index === 0);
    if (!choice) return events;
    const delta = choice.delta ?? {};
    if (delta[REASONING_ITEMS] !== undefined) this.upstreamReasoning(delta, events);
    const details = reasoningDetailsOf(delta);
    if (details) this.details.add(details);
    const reasoning = reasoningTextOf(delta);
    if (reasoning !== '') this.reasoningText(reasoning, events);
    // Kept with their text, so that the next turn sends Anthropic what it signed.
    if (delta.thinking_blocks?.length) {
      // One at a time: an upstream's chunk can hold any number of blocks, too many to spread into a call.
      const blocks = this.openReasoning(events).blocks;
      for (const block of this.thinking.blocks(delta.thinking_blocks)) blocks.push(block);
    }
    if (typeof delta.content === 'string' && delta.content !== '') this.messageText('output_text', delta.content, events);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') this.messageText('refusal', delta.refusal, events);
    for (const call of delta.tool_calls ?? []) this.toolCall(call, events);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return events;
  }

  /** Closes what is open and ends with `response.completed` (or `.incomplete`), the last event. */
  finish(): ResponseStreamEvent[] {
    const events: ResponseStreamEvent[] = [];
    this.closeCurrent(events);
    for (const call of [...this.calls.values()].sort((a, b) => a.index - b.index)) {
      const item = this.callItem(call, 'completed');
      this.output[call.index] = item;
      events.push(this.event('response.function_call_arguments.done', { item_id: call.id, output_index: call.index, name: item.name, arguments: call.arguments }));
      events.push(this.event('response.output_item.done', { output_index: call.index, item }));
    }
    this.carryToolCallExtras(events);
    this.calls.clear();
    this.final = finished({ ...this.shell, ...(this.serviceTier ? { service_tier: this.serviceTier } : {}), output: [...this.output] }, this.finishReason, this.usage);
    events.push(this.event(this.final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: forClient(this.final, this.include) }));
    return events;
  }

  /** The finished response, once `finish` ran. */
  get response(): ResponseObject | undefined {
    return this.final;
  }

  /**
   * `response.failed`: the answer broke after the stream started. The response carries what was
   * produced so far and the error, so the client is never left waiting for an end that will not come.
   */
  fail(error: { code: string; message: string }): ResponseStreamEvent {
    const output = [...this.output];
    // What is still open holds what the client was already sent: a message's text, a call's arguments.
    const open = this.current;
    if (open?.kind === 'message') output[open.index] = messageItemOf(open, 'incomplete');
    else if (open?.kind === 'reasoning') output[open.index] = reasoningItemOf(open) ?? output[open.index]!;
    for (const call of this.calls.values()) output[call.index] = this.callItem(call, 'incomplete');
    return this.event('response.failed', { response: forClient({ ...this.shell, status: 'failed', error, output, usage: null }, this.include) });
  }

  /**
   * Tool calls' provider data (Gemini's thought signatures) ride in a reasoning item after the calls,
   * for the next turn (see reasoning.ts). Every client is told of the item, so that it sends its id
   * back; only one that asked sees its `encrypted_content` (see forClient).
   */
  private carryToolCallExtras(events: ResponseStreamEvent[]): void {
    const calls = [...this.calls.values()];
    const extras = Object.fromEntries(calls.filter((call) => call.extra).map((call) => [call.callId, call.extra as Record<string, unknown>]));
    const item = reasoningItem('', [], newId('rs'), extras, turnReasoningDetails(this.details.list(), calls.map((call) => call.callId)));
    if (!item) return;
    const index = this.output.push(item) - 1;
    const shown = this.include?.includes('reasoning.encrypted_content') ? item : withoutEncryptedContent(item);
    events.push(this.event('response.output_item.added', { output_index: index, item: { id: item.id, type: 'reasoning', summary: [] } }));
    events.push(this.event('response.output_item.done', { output_index: index, item: shown }));
  }

  /**
   * An upstream's reasoning item (a cache hit of an OpenAI answer): as it opens, the reasoning item
   * it is, under its id; done, what it holds (encrypted_content), which its item.done gives back.
   */
  private upstreamReasoning(delta: Record<string, unknown>, events: ResponseStreamEvent[]): void {
    for (const item of carriedReasoningItems(delta) ?? []) {
      const open = this.current;
      // The same item done, or the text of one that came before it (an item kept whole).
      if (open?.kind === 'reasoning' && (open.upstream === undefined || open.upstream.id === item.id)) open.upstream = item;
      else this.openReasoning(events, item.id, true).upstream = item;
    }
  }

  private reasoningText(text: string, events: ResponseStreamEvent[]): void {
    const open = this.openReasoning(events);
    if (!open.summaryStarted) {
      open.summaryStarted = true;
      events.push(this.event('response.reasoning_summary_part.added', { item_id: open.id, output_index: open.index, summary_index: 0, part: { type: 'summary_text', text: '' } }));
    }
    open.text += text;
    this.thinking.reasoning(text);
    events.push(this.event('response.reasoning_summary_text.delta', { item_id: open.id, output_index: open.index, summary_index: 0, delta: text }));
  }

  /** The open reasoning item, or a new one (`fresh`: always a new one, under `id`). */
  private openReasoning(events: ResponseStreamEvent[], id?: string, fresh = false): OpenReasoning {
    if (!fresh && this.current?.kind === 'reasoning') return this.current;
    this.closeCurrent(events);
    const open: OpenReasoning = { kind: 'reasoning', index: this.output.length, id: id ?? newId('rs'), text: '', blocks: [], summaryStarted: false };
    const item = { id: open.id, type: 'reasoning' as const, summary: [] };
    this.output.push(item);
    events.push(this.event('response.output_item.added', { output_index: open.index, item }));
    this.current = open;
    return open;
  }

  private messageText(type: 'output_text' | 'refusal', text: string, events: ResponseStreamEvent[]): void {
    let open = this.current;
    if (open?.kind !== 'message') {
      this.closeCurrent(events);
      open = { kind: 'message', index: this.output.length, id: newId('msg'), parts: [] };
      const item = { id: open.id, type: 'message' as const, status: 'in_progress' as const, role: 'assistant' as const, content: [] };
      this.output.push(item);
      events.push(this.event('response.output_item.added', { output_index: open.index, item }));
      this.current = open;
    }
    let contentIndex = open.parts.findIndex((part) => part.type === type);
    if (contentIndex === -1) {
      contentIndex = open.parts.push({ type, value: '' }) - 1;
      events.push(this.event('response.content_part.added', { item_id: open.id, output_index: open.index, content_index: contentIndex, part: emptyPart(type) }));
    }
    const part = open.parts[contentIndex]!;
    part.value += text;
    const where = { item_id: open.id, output_index: open.index, content_index: contentIndex };
    events.push(type === 'output_text' ? this.event('response.output_text.delta', { ...where, delta: text, logprobs: [] }) : this.event('response.refusal.delta', { ...where, delta: text }));
  }

  private toolCall(delta: NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number], events: ResponseStreamEvent[]): void {
    const number = this.callNumbers.callOf(delta);
    let call = this.calls.get(number);
    if (!call) {
      this.closeCurrent(events);
      call = { index: this.output.length, id: newId('fc'), callId: delta.id ?? `call_${newId('fc').slice(3, 27)}`, name: delta.function?.name ?? '', arguments: '' };
      this.calls.set(number, call);
      const item = functionCallItem(call.id, { id: call.callId, type: 'function', function: { name: call.name, arguments: '' } }, this.names, 'in_progress');
      this.output.push(item);
      events.push(this.event('response.output_item.added', { output_index: call.index, item }));
    }
    if (typeof delta.extra_content === 'object' && delta.extra_content !== null) call.extra = delta.extra_content as Record<string, unknown>;
    const piece = delta.function?.arguments;
    if (typeof piece === 'string' && piece !== '') {
      call.arguments += piece;
      events.push(this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: piece }));
    }
  }

  /** Ends the open reasoning or message item with its `.done` events. */
  private closeCurrent(events: ResponseStreamEvent[]): void {
    const open = this.current;
    this.current = undefined;
    if (!open) return;
    if (open.kind === 'reasoning') {
      if (open.summaryStarted) {
        const where = { item_id: open.id, output_index: open.index, summary_index: 0 };
        events.push(this.event('response.reasoning_summary_text.done', { ...where, text: open.text }));
        events.push(this.event('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text: open.text } }));
      }
      const item = reasoningItemOf(open) ?? { id: open.id, type: 'reasoning' as const, summary: [] };
      this.output[open.index] = item;
      const shown = this.include?.includes('reasoning.encrypted_content') ? item : withoutEncryptedContent(item);
      events.push(this.event('response.output_item.done', { output_index: open.index, item: shown }));
      return;
    }
    open.parts.forEach((part, contentIndex) => {
      const where = { item_id: open.id, output_index: open.index, content_index: contentIndex };
      if (part.type === 'output_text') events.push(this.event('response.output_text.done', { ...where, text: part.value, logprobs: [] }));
      else events.push(this.event('response.refusal.done', { ...where, refusal: part.value }));
      events.push(this.event('response.content_part.done', { ...where, part: filledPart(part.type, part.value) }));
    });
    // A message closes at the end, or before a tool call (no finish reason yet): only a cut-short answer ends incomplete.
    const status = messageStatus(this.finishReason);
    const item = messageItemOf(open, status);
    this.output[open.index] = item;
    events.push(this.event('response.output_item.done', { output_index: open.index, item }));
  }

  /** A call's function_call item, with the arguments it has so far. */
  private callItem(call: OpenCall, status: ResponseItemStatus): ReturnType<typeof functionCallItem> {
    return functionCallItem(call.id, { id: call.callId, type: 'function', function: { name: call.name, arguments: call.arguments } }, this.names, status);
  }

  private event(type: string, fields: Record<string, unknown>): ResponseStreamEvent {
    return { type, ...fields, sequence_number: this.sequence++ };
  }
}

/** A reasoning item's content: the upstream's own when it came with one, else what its text and blocks make. */
function reasoningItemOf(open: OpenReasoning): ResponseReasoningItem | undefined {
  return open.upstream ? { ...upstreamReasoningItem(open.upstream, open.text), id: open.id } : reasoningItem(open.text, open.blocks, open.id);
}

/** A message's item, with the text of its parts so far. */
function messageItemOf(open: OpenMessage, status: ResponseItemStatus): ResponseOutputMessage {
  return { id: open.id, type: 'message', status, role: 'assistant', content: open.parts.map((part) => filledPart(part.type, part.value)) } as ResponseOutputMessage;
}

function emptyPart(type: 'output_text' | 'refusal'): Record<string, unknown> {
  return filledPart(type, '');
}

function filledPart(type: 'output_text' | 'refusal', value: string): Record<string, unknown> {
  return type === 'output_text' ? { type, text: value, annotations: [], logprobs: [] } : { type, refusal: value };
}
