/**
 * Anthropic's answers as OpenAI's, for the `anthropic` adapter: a whole message as a chat
 * completion, and a stream of Anthropic events as chat completion chunks, one by one as they come.
 */
import { type ChatCompletion, type ChatCompletionChunk, type ChatMessage, GatewayError, type ThinkingBlock, type ToolCall, type Usage, attachNative } from 'llm-gateway/plugin';
import { finishReasonFromAnthropic, nativeFinish, usageFromAnthropic } from './mapping.js';
import type { AnthropicMessage, AnthropicStreamEvent, AnthropicUsage } from './types.js';

export function toOpenAICompletion(message: AnthropicMessage, jsonTool: string | undefined, created = nowSeconds()): ChatCompletion {
  let text = '';
  let reasoning = '';
  const thinking: ThinkingBlock[] = [];
  const toolCalls: ToolCall[] = [];
  let answeredByJsonTool = false;
  let lost = false;
  for (const block of message.content) {
    lost ||= saysMoreThanChat(block);
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') {
      reasoning += block.thinking;
      thinking.push({ type: 'thinking', thinking: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
    } else if (block.type === 'redacted_thinking') thinking.push({ type: 'redacted_thinking', data: block.data });
    else if (block.type === 'tool_use') {
      if (jsonTool && block.name === jsonTool) {
        // JSON mode: the forced tool's input is the answer.
        text += JSON.stringify(block.input);
        answeredByJsonTool = true;
      } else {
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
      }
    }
  }
  const out: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  if (reasoning !== '' || thinking.length > 0) {
    out.reasoning_content = reasoning;
    out.thinking_blocks = thinking;
  }
  const finish = finishOf(message.stop_reason, answeredByJsonTool, toolCalls.length > 0);
  return {
    id: message.id,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [{ index: 0, message: out, finish_reason: finish, logprobs: null, ...nativeFinish(message.stop_reason, message.stop_sequence), ...(lost ? CONTENT_LOST : {}) }],
    usage: usageFromAnthropic(message.usage),
  };
}

/**
 * Turns Anthropic stream events into OpenAI chunks as they arrive. With `native` set (a client that
 * speaks Anthropic itself), every event yields exactly one chunk, carrying the event verbatim so the
 * client gets the upstream's own bytes; otherwise events that say nothing in OpenAI terms (pings,
 * block stops) yield nothing.
 */
export class AnthropicStreamTranslator {
  private id = '';
  private model = '';
  private readonly created = nowSeconds();
  private usage: Partial<AnthropicUsage> = {};
  /** Anthropic block index → OpenAI tool call index, for tool_use blocks. */
  private readonly toolIndex = new Map<number, number>();
  /** Blocks (tool calls, the JSON answer) whose input has had some text: one that had none is `{}`. */
  private readonly withInput = new Set<number>();
  private jsonBlock: number | undefined;
  private finished = false;
  private stopped = false;
  /** A block or citation the chat view has no words for was seen (see `CONTENT_LOST`). */
  private lost = false;

  constructor(
    private readonly provider: string,
    private readonly jsonTool: string | undefined,
    private readonly native: boolean,
  ) {}

  /** True once `message_stop` arrived: the answer is complete. */
  get complete(): boolean {
    return this.stopped;
  }

  /**
   * The usage Anthropic stated so far (`message_start`'s prompt size and cache reads and writes,
   * updated by `message_delta`), before `message_stop`'s chunk reports it: what a stream cut short
   * is billed for (`StreamResult.usageSoFar`). Undefined before `message_start`.
   */
  usageSoFar(): Usage | undefined {
    return this.usage.input_tokens === undefined ? undefined : usageFromAnthropic(this.usage);
  }

  /** The chunks one event becomes. `raw` is the event's data as it came, for native clients. */
  translate(event: AnthropicStreamEvent, raw: string): ChatCompletionChunk[] {
    const chunks = this.chunksFor(event);
    if (!this.native) return chunks;
    const carrier = chunks[0] ?? this.chunk([], null);
    attachNative(carrier, { protocol: 'anthropic', event: event.type, data: raw });
    return [carrier, ...chunks.slice(1)];
  }

  private chunksFor(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case 'message_start':
        this.id = event.message.id;
        this.model = event.message.model;
        this.usage = { ...event.message.usage };
        return [this.delta({ role: 'assistant', content: '' })];
      case 'content_block_start': {
        const block = event.content_block;
        this.lost ||= saysMoreThanChat(block);
        if (block.type === 'tool_use') {
          if (this.jsonTool && block.name === this.jsonTool) {
            this.jsonBlock = event.index;
            return [];
          }
          const index = this.toolIndex.size;
          this.toolIndex.set(event.index, index);
          return [this.delta({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })];
        }
        if (block.type === 'text' && block.text) return [this.delta({ content: block.text })];
        if (block.type === 'redacted_thinking') return [this.delta({ thinking_blocks: [{ type: 'redacted_thinking', data: block.data }] })];
        return [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        switch (delta.type) {
          case 'text_delta':
            return [this.delta({ content: delta.text })];
          case 'thinking_delta':
            return [this.delta({ reasoning_content: delta.thinking })];
          case 'citations_delta':
            this.lost = true;
            return [];
          case 'signature_delta':
            return [this.delta({ thinking_blocks: [{ type: 'thinking', thinking: '', signature: delta.signature }] })];
          case 'input_json_delta': {
            if (delta.partial_json !== '') this.withInput.add(event.index);
            if (event.index === this.jsonBlock) return [this.delta({ content: delta.partial_json })];
            const index = this.toolIndex.get(event.index);
            if (index === undefined) return [];
            return [this.delta({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
          }
          default:
            return [];
        }
      }
      case 'content_block_stop': {
        // A call without input streams no input_json_delta: its arguments are `{}`, as a whole
        // answer's are (JSON.stringify of its input), not the empty text no client can parse.
        if (this.withInput.has(event.index)) return [];
        if (event.index === this.jsonBlock) return [this.delta({ content: '{}' })];
        const index = this.toolIndex.get(event.index);
        return index === undefined ? [] : [this.delta({ tool_calls: [{ index, function: { arguments: '{}' } }] })];
      }
      case 'message_delta': {
        this.usage = { ...this.usage, ...stripNulls(event.usage ?? {}) };
        if (!event.delta.stop_reason) return [];
        this.finished = true;
        const finish = finishOf(event.delta.stop_reason, this.jsonBlock !== undefined, this.toolIndex.size > 0);
        return [this.chunk([{ index: 0, delta: {}, finish_reason: finish, logprobs: null, ...nativeFinish(event.delta.stop_reason, event.delta.stop_sequence), ...(this.lost ? CONTENT_LOST : {}) }], null)];
      }
      case 'message_stop':
        this.stopped = true;
        return [this.chunk([], usageFromAnthropic(this.usage))];
      case 'error':
        throw new GatewayError(event.error.type === 'overloaded_error' ? 'unavailable' : event.error.type === 'rate_limit_error' ? 'rate_limited' : 'upstream', `${this.provider}: ${event.error.message}`, {
          provider: this.provider,
          code: event.error.type,
          retryable: true,
        });
      default:
        return [];
    }
  }

  /** Whether the stream ended properly; call when the upstream body ends. */
  assertComplete(): void {
    if (!this.stopped || !this.finished) {
      throw new GatewayError('upstream', `${this.provider}: the stream ended before the answer was complete`, {
        provider: this.provider,
        code: 'upstream_stream_truncated',
        retryable: true,
      });
    }
  }

  private delta(delta: ChatCompletionChunk['choices'][number]['delta']): ChatCompletionChunk {
    return this.chunk([{ index: 0, delta, finish_reason: null, logprobs: null }], null);
  }

  private chunk(choices: ChatCompletionChunk['choices'], usage: Usage | null): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices };
    if (usage) chunk.usage = usage;
    return chunk;
  }
}

/** The blocks the chat view says in its own words; any other (a server tool's use and result, a document, a container upload) it cannot. */
const CHAT_BLOCKS = new Set(['text', 'thinking', 'redacted_thinking', 'tool_use']);

/**
 * Marks a choice whose Anthropic answer held what the chat view has no words for: a server tool's
 * blocks (web search, web fetch, code execution), citations on its text. Given to an OpenAI client
 * as the text it can read; never kept by the cache, whose hit would give an Anthropic client the
 * answer without its searches and citations (plugins/cache/entry.ts `storable`).
 */
const CONTENT_LOST = { native_content_lost: true } as const;

function saysMoreThanChat(block: { type: string; citations?: unknown }): boolean {
  return !CHAT_BLOCKS.has(block.type) || (block.type === 'text' && Array.isArray(block.citations) && block.citations.length > 0);
}

function stripNulls<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The finish reason; with the JSON answer given through the forced tool, its `tool_use` stop is the
 * answer's end (`stop`), while a cut (`max_tokens`) stays one: the JSON is incomplete. When the
 * client's own tools were called beside it (JSON mode with tools offered, parallel calls allowed),
 * the turn stays `tool_calls`: the client runs its calls only on that finish reason.
 */
function finishOf(stopReason: string | null | undefined, answeredByJsonTool: boolean, calledClientTools: boolean): string | null {
  return answeredByJsonTool && stopReason === 'tool_use' && !calledClientTools ? 'stop' : finishReasonFromAnthropic(stopReason);
}
