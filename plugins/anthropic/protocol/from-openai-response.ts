/**
 * OpenAI answers as Anthropic's, for the `/v1/messages` front-end: a completion as a message, and a
 * stream of chunks as Anthropic's event sequence (message_start, content blocks opened, filled and
 * closed in order, message_delta, message_stop), each event written as soon as its chunk arrives.
 */
import { randomUUID } from 'node:crypto';
import { StreamedReasoningDetails, StreamedToolCalls, reasoningDetailsOf, reasoningTextOf, type ChatCompletion, type ChatCompletionChunk, type ToolCallDelta, type Usage } from 'llm-gateway/plugin';
import { callDataOf, carrierBlock, carrierSignature, reasoningDetailsCarrier, reasoningDetailsSignature } from './carried-call-data.js';
import { anthropicStop, usageToAnthropic } from './mapping.js';
import { clientToolName, type ToolNameMap } from './tool-names.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicStreamEvent } from './types.js';

/** `toolNames`: the stand-ins the request sent for the client's tool names (to-openai-request.ts), given back here. */
export function toAnthropicMessage(completion: ChatCompletion, model: string, toolNames?: ToolNameMap): AnthropicMessage {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content: AnthropicContentBlock[] = [];
  for (const block of message?.thinking_blocks ?? []) content.push({ ...block });
  const reasoning = reasoningTextOf(message);
  if (!message?.thinking_blocks?.length && reasoning !== '') content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  // Before the text, as thinking goes: the host's signed reasoning entries, then each call's
  // provider data, carried to the next turn (carried-call-data.ts).
  const details = reasoningDetailsOf(message);
  if (details) content.push(reasoningDetailsCarrier(details));
  for (const call of message?.tool_calls ?? []) {
    const data = callDataOf(call);
    if (data) content.push(carrierBlock(call.id, data));
  }
  const text = textOf(message?.content);
  if (text) content.push({ type: 'text', text });
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: clientToolName(call.function.name, toolNames), input: parseInput(call.function.arguments) });
  }
  return {
    id: anthropicId(completion.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    ...anthropicStop(choice?.finish_reason, (message?.tool_calls?.length ?? 0) > 0, choice?.native_finish_reason, choice?.stop_sequence),
    usage: usageToAnthropic(completion.usage),
  };
}

type BlockKind = 'text' | 'thinking' | 'tool_use';

/** A tool call whose block cannot open yet: another call's is open. */
interface HeldCall {
  id: string;
  name: string;
  args: string;
  data: Record<string, unknown> | undefined;
}

/**
 * A stateful translator for one stream. Anthropic's blocks must not interleave, so when a chunk
 * switches from text to a tool call the open block is closed first. Tool calls stream as they come
 * one at a time; a call that begins while another's block is open is held, and sent whole, each
 * call in its own block, once the answer finishes: OpenAI-format hosts may interleave the
 * fragments of parallel calls (each numbered by `index`), which a block that closed cannot take.
 */
export class AnthropicEventWriter {
  private started = false;
  private open: { kind: BlockKind; index: number; call?: number; signed?: boolean } | undefined;
  /** Calls held until the answer finishes, by number, in the order they began. */
  private readonly held = new Map<number, HeldCall>();
  /** Which call each tool-call delta belongs to, whatever the host numbers them (StreamedToolCalls). */
  private readonly callNumbers = new StreamedToolCalls();
  /** Each call's id, by its number: the host's, or one made up for a host that gave none. */
  private readonly callIds: string[] = [];
  private nextIndex = 0;
  private finishReason: string | null = null;
  /** The finish chunk's native stop reason and matched stop sequence (mapping.ts `nativeFinish`). */
  private nativeFinish: unknown;
  private stopSequence: unknown;
  private usage: Usage | undefined;
  private stopped = false;
  private calledTools = false;
  /** The host's signed reasoning entries so far (OpenRouter's `reasoning_details`), carried in a block at the end. */
  private readonly details = new StreamedReasoningDetails();
  /**
   * Reasoning that came while a call's block was open (between two pieces of its arguments): a
   * thinking block would close the call's, which cannot reopen, so it waits for the call to end.
   */
  private heldThinking = '';

  /**
   * `toolNames`: as toAnthropicMessage's. `promptTokens`: the prompt's size as the gateway
   * estimates it, asked once a translated stream starts (see `start`).
   */
  constructor(
    private readonly model: string,
    private readonly toolNames?: ToolNameMap,
    private readonly promptTokens?: () => number,
  ) {}

  /** The events one chunk becomes. */
  write(chunk: ChatCompletionChunk): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [];
    if (!this.started) events.push(this.start(chunk));
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return events;
    const delta = choice.delta ?? {};

    const details = reasoningDetailsOf(delta);
    if (details) this.details.add(details);
    const reasoning = reasoningTextOf(delta);
    if (reasoning !== '' && this.open?.kind === 'tool_use') this.heldThinking += reasoning;
    else if (reasoning !== '') {
      events.push(...this.ensure('thinking'), { type: 'content_block_delta', index: this.current(), delta: { type: 'thinking_delta', thinking: reasoning } });
    }
    for (const block of delta.thinking_blocks ?? []) {
      if (block.type === 'thinking' && block.signature) {
        // A signature ends its block, as in Anthropic's own stream: thinking after it is a block of its own.
        events.push(...this.ensure('thinking'), { type: 'content_block_delta', index: this.current(), delta: { type: 'signature_delta', signature: block.signature } });
        this.open!.signed = true;
        events.push(...this.close());
      } else if (block.type === 'redacted_thinking') {
        // Whole, in its place: the client must send it back unchanged with its tool results.
        const index = this.nextIndex++;
        events.push(...this.close(), { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: block.data } }, { type: 'content_block_stop', index });
      }
    }
    // The chunk's calls are numbered first, so that the data a new call carries goes out before the
    // chunk's text and calls, where the whole answer has it (thinking comes first).
    const calls = (delta.tool_calls ?? []).map((call) => this.numbered(call));
    for (const entry of calls) {
      const data = entry.begins ? callDataOf(entry.call) : undefined;
      if (entry.begins && this.callBlockOpen()) this.held.set(entry.number, { id: entry.id, name: entry.call.function?.name ?? '', args: '', data });
      else if (data) events.push(...this.close(), ...this.carrier(entry.id, data));
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      events.push(...this.ensure('text'), { type: 'content_block_delta', index: this.current(), delta: { type: 'text_delta', text: delta.content } });
    }
    for (const { call, number, id } of calls) {
      const args = call.function?.arguments;
      const held = this.held.get(number);
      if (held) {
        if (args) held.args += args;
        continue;
      }
      if (this.open?.kind !== 'tool_use' || this.open.call !== number) {
        events.push(...this.close());
        events.push(this.startCall(number, id, call.function?.name ?? ''));
      }
      if (args) events.push({ type: 'content_block_delta', index: this.current(), delta: { type: 'input_json_delta', partial_json: args } });
    }
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      this.nativeFinish = choice.native_finish_reason;
      this.stopSequence = choice.stop_sequence;
      for (const event of this.sendHeld()) events.push(event);
    }
    return events;
  }

  /** Whether a tool call's block is open, or calls are held behind one: a new call then waits too. */
  private callBlockOpen(): boolean {
    return this.open?.kind === 'tool_use' || this.held.size > 0;
  }

  private startCall(number: number, id: string, name: string): AnthropicStreamEvent {
    const index = this.nextIndex++;
    this.calledTools = true;
    this.open = { kind: 'tool_use', index, call: number };
    return { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: clientToolName(name, this.toolNames), input: {} } };
  }

  /**
   * The held calls, each whole in a block of its own (after its carrier, if it has one). Their
   * number is the upstream's to choose: callers append these one by one, never spread into a call.
   */
  private sendHeld(): AnthropicStreamEvent[] {
    if (this.held.size === 0) return [];
    const events = this.close();
    for (const [number, call] of this.held) {
      if (call.data) events.push(...this.carrier(call.id, call.data));
      events.push(this.startCall(number, call.id, call.name));
      if (call.args) events.push({ type: 'content_block_delta', index: this.current(), delta: { type: 'input_json_delta', partial_json: call.args } });
      events.push(...this.close());
    }
    this.held.clear();
    return events;
  }

  /** The closing events, once the upstream stream has ended. */
  end(): AnthropicStreamEvent[] {
    if (this.stopped) return [];
    this.stopped = true;
    const events = this.started ? [] : [this.start(undefined)];
    for (const event of this.sendHeld()) events.push(event);
    events.push(...this.close());
    // Last, since they may come with any chunk (with a call's first piece, after the thinking closed).
    const details = this.details.list();
    if (details.length > 0) events.push(...this.wholeThinking('', reasoningDetailsSignature(details)));
    const usage = usageToAnthropic(this.usage);
    events.push(
      { type: 'message_delta', delta: anthropicStop(this.finishReason, this.calledTools, this.nativeFinish, this.stopSequence), usage },
      { type: 'message_stop' },
    );
    return events;
  }

  private start(chunk: ChatCompletionChunk | undefined): AnthropicStreamEvent {
    this.started = true;
    const message: AnthropicMessage = {
      id: anthropicId(chunk?.id),
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Cline and Roo Code read the prompt's size here only (Claude Code's context meter too),
      // and OpenAI-format hosts report it at the end: what the first chunk says (Gemini's say it
      // in every event), else the gateway's estimate. The upstream's count follows in
      // message_delta, whose usage is cumulative.
      usage: chunk?.usage ? { ...usageToAnthropic(chunk.usage), output_tokens: 0 } : { input_tokens: Math.round(this.promptTokens?.() ?? 0), output_tokens: 0 },
    };
    return { type: 'message_start', message };
  }

  /** A tool-call delta's call: its number, the id its block has (made up if the host gave none), and whether it begins here. */
  private numbered(call: ToolCallDelta): { call: ToolCallDelta; number: number; id: string; begins: boolean } {
    const number = this.callNumbers.callOf(call);
    const begins = number >= this.callIds.length;
    if (begins) this.callIds[number] = call.id || `toolu_${randomUUID().replaceAll('-', '')}`;
    return { call, number, id: this.callIds[number]!, begins };
  }

  /** A whole thinking block carrying a call's provider data (carried-call-data.ts), before the calls. */
  private carrier(id: string, data: Record<string, unknown>): AnthropicStreamEvent[] {
    return this.wholeThinking('', carrierSignature(id, data));
  }

  /** A thinking block written whole: its text, if any, and its signature (the gateway's carrier, or '' for unsigned reasoning). */
  private wholeThinking(thinking: string, signature: string): AnthropicStreamEvent[] {
    const index = this.nextIndex++;
    return [
      { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } },
      ...(thinking === '' ? [] : [{ type: 'content_block_delta' as const, index, delta: { type: 'thinking_delta' as const, thinking } }]),
      { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature } },
      { type: 'content_block_stop', index },
    ];
  }

  private ensure(kind: 'text' | 'thinking'): AnthropicStreamEvent[] {
    if (this.open?.kind === kind) return [];
    const events = this.close();
    const index = this.nextIndex++;
    this.open = { kind, index };
    events.push({ type: 'content_block_start', index, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' } });
    return events;
  }

  private close(): AnthropicStreamEvent[] {
    if (!this.open) return [];
    const { index, kind, signed } = this.open;
    this.open = undefined;
    // Anthropic ends every thinking block with its signature, and SDKs keep (and send back) only
    // thinking that has one: an upstream's unsigned reasoning (DeepSeek's) gets the empty one the
    // whole answer gives it (toAnthropicMessage), so it comes back on the next turn.
    const unsigned: AnthropicStreamEvent[] = kind === 'thinking' && !signed ? [{ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: '' } }] : [];
    return [...unsigned, { type: 'content_block_stop', index }, ...this.heldThinkingBlock()];
  }

  /** The reasoning held while a call's block was open, as a whole thinking block after it (none when nothing was held). */
  private heldThinkingBlock(): AnthropicStreamEvent[] {
    if (this.heldThinking === '') return [];
    const thinking = this.heldThinking;
    this.heldThinking = '';
    return this.wholeThinking(thinking, '');
  }

  private current(): number {
    return this.open?.index ?? 0;
  }
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

function parseInput(args: string): unknown {
  try {
    return args.trim() ? JSON.parse(args) : {};
  } catch {
    // A model that wrote broken JSON: hand the text over rather than lose it.
    return { _raw_arguments: args };
  }
}

function anthropicId(id: string | undefined): string {
  if (id?.startsWith('msg_')) return id;
  return `msg_${id ? id.replace(/[^A-Za-z0-9_-]/g, '') : randomUUID().replaceAll('-', '')}`;
}
