/**
 * A Responses request as an OpenAI chat request: the form every plugin reads (rules, routing, token
 * counts, budgets) and every non-native adapter translates from. An upstream that speaks the
 * Responses API receives the client's own body instead (see protocol/native.ts in the kernel), so
 * nothing here needs to be lossless for it.
 *
 * Like the Anthropic front-end's translation, this never refuses: it runs before routing, and the
 * target may take the request as written. What chat cannot express is reported as a loss.
 * - `instructions` → a leading system message; `developer` and `system` messages → system messages;
 * - `message` items → user and assistant messages, their parts translated (content.ts);
 * - `function_call` items → assistant `tool_calls`, consecutive calls (and the assistant message
 *   right before them) merged into one assistant turn; `function_call_output` → `tool` messages;
 * - `reasoning` items → the next assistant turn's `reasoning_content` (and, for the gateway's own,
 *   Anthropic's signed `thinking_blocks` and the tool calls' provider data, such as Gemini's thought
 *   signatures, see reasoning.ts); with no assistant turn after them they are left out quietly, as
 *   reasoning only ever accompanies the model's own turns;
 * - a `compaction_trigger` ending the input → a last user message asking for a handoff summary, no
 *   tool called (`compacting`; the answer becomes a `compaction` item, see compaction.ts); the
 *   gateway's own `compaction` items → a user message with their summary;
 * - hosted tools' items (`web_search_call`, `computer_call`, ...) and OpenAI's own compaction
 *   items → losses of kind `content`;
 * - tools and `tool_choice` → tools.ts; `text.format` → `response_format`; `reasoning.effort` →
 *   `reasoning_effort`; `max_output_tokens` → `max_tokens`; sampling, `parallel_tool_calls`, `user`,
 *   `metadata`, `prompt_cache_key`, `safety_identifier` and `service_tier` as they are.
 * Settings that only tune how OpenAI runs the request (`truncation`, `include`, `text.verbosity`,
 * `reasoning.summary`, `store`, `max_tool_calls`, `prompt_cache_retention`, `client_metadata`)
 * are left out without a word, as any API leaves out what it does not know. `conversation`,
 * `prompt` (a stored prompt template) and `background` ask for something only OpenAI can do: losses.
 */
import type { ChatCompletionRequest, ChatMessage, ThinkingBlock, ToolCall, TranslationLoss } from 'llm-gateway/plugin';
import { COMPACTION_PROMPT, gatewaySummary, isCompactionTrigger, summaryText } from './compaction.js';
import { simplify, toChatParts, toSystemContent } from './content.js';
import { decodeReasoning } from './reasoning.js';
import { ToolNames, toChatToolChoice, toChatTools } from './tools.js';
import type { ResponseInputItem, ResponseMessageItem, ResponseReasoningItem, ResponsesRequest } from './types.js';

/** An item of the conversation, and where it came from in the client's terms (`input.3`). */
export interface PlacedItem {
  readonly item: ResponseInputItem;
  readonly at: string;
}

export interface ChatTranslation {
  readonly request: ChatCompletionRequest;
  /** What the chat request leaves out of the client's (empty when nothing was lost). */
  readonly losses: readonly TranslationLoss[];
  /** The chat names of the request's functions, to report calls in the Responses API's terms. */
  readonly toolNames: ToolNames;
  /** The input ended with a `compaction_trigger`: the answer is a summary, for a `compaction` item. */
  readonly compacting: boolean;
}

/** `items` is the whole conversation: earlier turns (from `previous_response_id`) and this request's input, references resolved. */
export function toChatRequest(request: ResponsesRequest, items: readonly PlacedItem[]): ChatTranslation {
  const losses: TranslationLoss[] = [];
  const chat = toChatTools(request.tools ?? [], losses);
  const messages = new ConversationBuilder(chat.names, losses);
  if (typeof request.instructions === 'string' && request.instructions !== '') messages.push({ role: 'system', content: request.instructions });
  const compacting = isCompactionTrigger(items.at(-1)?.item);
  for (const { item, at } of compacting ? items.slice(0, -1) : items) messages.add(item, at);
  if (compacting) messages.push({ role: 'user', content: COMPACTION_PROMPT });

  const out: ChatCompletionRequest = { model: request.model, messages: messages.done() };
  // A response's last event always reports usage: the kernel asks OpenAI-format upstreams for it.
  if (request.stream) out.stream = true;
  // The tools stay declared (Anthropic refuses tool calls in a conversation that declares none), none called.
  if (compacting && chat.tools.length > 0) out.tool_choice = 'none';
  else if (request.tool_choice !== undefined && request.tool_choice !== null) {
    const choice = toChatToolChoice(request.tool_choice, chat, losses);
    if (choice !== undefined && chat.tools.length > 0) out.tool_choice = choice;
  }
  if (chat.tools.length > 0) out.tools = chat.tools;
  if (typeof request.max_output_tokens === 'number') out.max_tokens = request.max_output_tokens;
  for (const field of ['temperature', 'top_p', 'parallel_tool_calls', 'user', 'metadata', 'prompt_cache_key', 'safety_identifier', 'service_tier'] as const) {
    if (request[field] !== undefined && request[field] !== null) out[field] = request[field];
  }
  if (typeof request.reasoning?.effort === 'string') out.reasoning_effort = request.reasoning.effort;
  const format = compacting ? undefined : request.text?.format;
  if (format) {
    if (format.type === 'json_schema') {
      const { type: _type, ...schema } = format;
      out.response_format = { type: 'json_schema', json_schema: schema };
    } else if (format.type === 'json_object') {
      out.response_format = { type: 'json_object' };
    } else if (format.type !== 'text') {
      losses.push({ param: 'text.format', why: `the output format '${format.type}' has no chat completions equivalent`, kind: 'content' });
    }
  }
  if (request.conversation != null) losses.push({ param: 'conversation', why: "a conversation is kept by OpenAI's Conversations API; the gateway has no access to it", kind: 'content' });
  if (request.prompt != null) losses.push({ param: 'prompt', why: 'a stored prompt template lives in the OpenAI project that made it', kind: 'content' });
  if (request.background === true) losses.push({ param: 'background', why: "background responses run inside OpenAI's Responses API", kind: 'content' });
  return { request: out, losses, toolNames: chat.names, compacting };
}

/** Builds the chat messages item by item, merging what chat keeps in one assistant turn. */
class ConversationBuilder {
  private readonly messages: ChatMessage[] = [];
  /** The last assistant turn, while a function call may still join it. */
  private open: ChatMessage | undefined;
  /** Reasoning waiting for the assistant turn it led to. */
  private reasoning: { text: string[]; blocks: ThinkingBlock[] } | undefined;
  /** Tool calls' provider data carried by the gateway's reasoning items, by call id (see reasoning.ts). */
  private readonly toolExtras = new Map<string, Record<string, unknown>>();
  /** A turn's `reasoning_details` carried the same way, by the ids of the turn's calls. */
  private readonly turnDetails = new Map<string, readonly unknown[]>();
  /** Parts of tool results a tool message cannot hold, for the user message after them. */
  private readonly pending: Array<Record<string, unknown>> = [];

  constructor(
    private readonly names: ToolNames,
    private readonly losses: TranslationLoss[],
  ) {}

  push(message: ChatMessage): void {
    if (message.role !== 'tool') this.attachPending();
    this.messages.push(message);
    this.open = undefined;
  }

  add(item: ResponseInputItem, at: string): void {
    const type = item.type ?? 'message';
    switch (type) {
      case 'message':
        return this.message(item as ResponseMessageItem, at);
      case 'function_call': {
        const call = item as Extract<ResponseInputItem, { type: 'function_call' }>;
        const name = this.names.chatName({ name: call.name, ...(typeof call.namespace === 'string' ? { namespace: call.namespace } : {}) });
        const toolCall: ToolCall = { id: call.call_id, type: 'function', function: { name, arguments: call.arguments } };
        if (this.open && !this.reasoning) {
          // In place (the array is this builder's own, made below): a copy per call would be
          // quadratic in a turn's calls, and tens of thousands fit in a body.
          if (this.open.tool_calls) (this.open.tool_calls as ToolCall[]).push(toolCall);
          else this.open.tool_calls = [toolCall];
          return;
        }
        this.assistant({ role: 'assistant', content: null, tool_calls: [toolCall] });
        return;
      }
      case 'function_call_output': {
        const output = item as Extract<ResponseInputItem, { type: 'function_call_output' }>;
        if (typeof output.output === 'string') return this.push({ role: 'tool', tool_call_id: output.call_id, content: output.output });
        // A tool message holds text only (OpenAI's; Gemini's function response reads text): an
        // image a tool gave (Codex's view_image) goes in a user message after the results, named here.
        const parts = toChatParts(output.output, `${at}.output`, this.losses).map((part) => {
          if (part.type === 'text') return part;
          this.pending.push(part);
          return { type: 'text' as const, text: `[${part.type === 'image_url' ? 'an image' : 'a file'}, attached to the next user message]` };
        });
        return this.push({ role: 'tool', tool_call_id: output.call_id, content: simplify(parts) });
      }
      case 'reasoning':
        return this.addReasoning(item as ResponseReasoningItem);
      case 'compaction_trigger':
        // Not last: an earlier request's, kept with it by `previous_response_id`; the compaction
        // item its answer holds comes after it.
        return;
      case 'compaction': {
        const summary = gatewaySummary(item);
        if (summary !== undefined) return this.push({ role: 'user', content: summaryText(summary) });
        this.losses.push({ param: at, why: 'a compaction item made by OpenAI can only be read by OpenAI', kind: 'content' });
        return;
      }
      default:
        this.losses.push({ param: at, why: `an item of type '${type}' is only understood by OpenAI's Responses API`, kind: 'content' });
    }
  }

  /** The messages, each tool call with the provider data a reasoning item carried for it, wherever that item was. */
  done(): ChatMessage[] {
    this.attachPending();
    if (this.toolExtras.size === 0 && this.turnDetails.size === 0) return this.messages;
    for (const message of this.messages) {
      for (const call of message.tool_calls ?? []) {
        const extra = this.toolExtras.get(call.id);
        if (extra) (call as ToolCall).extra_content = extra;
        const details = this.turnDetails.get(call.id);
        if (details && message.reasoning_details === undefined) message.reasoning_details = details;
      }
    }
    return this.messages;
  }

  private message(item: ResponseMessageItem, at: string): void {
    const where = `${at}.content`;
    switch (item.role) {
      case 'system':
      case 'developer':
        return this.push({ role: 'system', content: toSystemContent(item.content, where, this.losses) });
      case 'user':
        return this.push({ role: 'user', content: simplify(toChatParts(item.content, where, this.losses)) });
      case 'assistant':
        return this.assistant({ role: 'assistant', content: simplify(toChatParts(item.content, where, this.losses)) });
      default:
        this.losses.push({ param: `${at}.role`, why: `a message with the role '${String(item.role)}' has no equivalent`, kind: 'content' });
    }
  }

  /** The images and files of the tool results just read, in a user message after them. */
  private attachPending(): void {
    if (this.pending.length === 0) return;
    this.messages.push({ role: 'user', content: [{ type: 'text', text: 'What the tool results above attached:' }, ...this.pending.splice(0)] });
    this.open = undefined;
  }

  /** An assistant turn, carrying the reasoning that led to it. */
  private assistant(message: ChatMessage): void {
    this.attachPending();
    if (this.reasoning) {
      const text = this.reasoning.text.join('\n\n');
      if (text !== '') message.reasoning_content = text;
      if (this.reasoning.blocks.length > 0) message.thinking_blocks = this.reasoning.blocks;
      this.reasoning = undefined;
    }
    this.messages.push(message);
    this.open = message;
  }

  private addReasoning(item: ResponseReasoningItem): void {
    this.open = undefined;
    const reasoning = (this.reasoning ??= { text: [], blocks: [] });
    const carried = decodeReasoning(item.encrypted_content);
    if (carried) {
      // One at a time: spread into a call, a forged carrier's blocks would overflow the stack.
      for (const block of carried.thinking) reasoning.blocks.push(block);
      for (const [callId, extra] of Object.entries(carried.toolCalls)) this.toolExtras.set(callId, extra);
      for (const callId of carried.reasoningDetails?.calls ?? []) this.turnDetails.set(callId, carried.reasoningDetails!.entries);
    }
    const parts = [...(Array.isArray(item.summary) ? item.summary : []), ...(Array.isArray(item.content) ? item.content : [])];
    for (const part of parts) if (typeof part?.text === 'string' && part.text !== '') reasoning.text.push(part.text);
  }
}
