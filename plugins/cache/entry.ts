/**
 * What the cache stores for one answer, and how it is given back.
 *
 * A chat answer is kept whole (the assembled completion) and, when it came as a stream, also as the
 * sequence of chunks it came in: a streaming client gets that same sequence again (content, tool
 * call pieces, reasoning, the usage chunk), a JSON client the assembled completion, and an answer
 * that came whole is cut into chunks for a streaming client. Native attachments (an Anthropic
 * upstream's own events) are not kept: a hit is rendered from the OpenAI form like any translation.
 */
import { StreamedReasoningDetails, StreamedThinking, StreamedToolCalls, appendAll, reasoningDetailsOf, reasoningTextOf, type ChatCompletion, type ChatCompletionChunk, type ChatMessage, type EmbeddingsResponse, type GatewayResponse, type ThinkingBlock, type ToolCall, type Usage } from 'llm-gateway/plugin';
import { REASONING_ITEMS, carriedReasoningItems, type ResponseReasoningItem } from 'llm-gateway/plugins/responses';

export interface CacheEntry {
  readonly v: 1;
  readonly operation: 'chat' | 'embeddings';
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The resolved model the key was made for (`openai/gpt-4o`, `virtual:fast`). */
  readonly model: string;
  readonly scope: string;
  /** The gateway key id that caused it (null on an open gateway), for clears by key; absent in entries stored before it was kept. */
  readonly owner?: string | null;
  readonly completion?: ChatCompletion;
  readonly chunks?: ChatCompletionChunk[];
  readonly embeddings?: EmbeddingsResponse;
  readonly usage?: Usage;
  /** What the answer cost when it was made (micro-dollars), for "saved" accounting; undefined without a price. */
  readonly costMicros?: number;
  /** The provider and model that answered. */
  readonly servedBy?: string;
}

/** A stored answer as this request's response: chunks for a streaming client, JSON otherwise. */
export function responseFrom(entry: CacheEntry, stream: boolean): GatewayResponse {
  if (entry.operation === 'embeddings' && entry.embeddings) return { kind: 'embeddings', status: 200, body: structuredClone(entry.embeddings) };
  const completion = entry.completion as ChatCompletion;
  if (!stream) return { kind: 'json', status: 200, body: structuredClone(completion) };
  const chunks = entry.chunks ? withUsageChunk(entry.chunks, completion) : chunksOf(completion);
  return { kind: 'stream', status: 200, chunks: replay(structuredClone(chunks)) };
}

async function* replay(chunks: ChatCompletionChunk[]): AsyncGenerator<ChatCompletionChunk> {
  for (const chunk of chunks) yield chunk;
}

/** Every client that asks for usage gets it: the front-ends drop the usage chunk for those that did not. */
function withUsageChunk(chunks: ChatCompletionChunk[], completion: ChatCompletion): ChatCompletionChunk[] {
  if (!completion.usage || chunks.some((c) => c.usage)) return chunks;
  return [...chunks, { ...head(completion), choices: [], usage: completion.usage }];
}

function head(completion: ChatCompletion): Pick<ChatCompletionChunk, 'id' | 'object' | 'created' | 'model'> {
  return { id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model };
}

/** A whole completion as the chunks a stream of it would have had. */
export function chunksOf(completion: ChatCompletion): ChatCompletionChunk[] {
  const chunks: ChatCompletionChunk[] = [];
  const base = head(completion);
  for (const choice of completion.choices) {
    const { message } = choice;
    const index = choice.index;
    chunks.push({ ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const items = upstreamReasoning(message);
    if (items?.texts) {
      // Each upstream reasoning item, then its text: the Responses front-end writes it as that item.
      items.items.forEach((item, i) => {
        chunks.push({ ...base, choices: [{ index, delta: { [REASONING_ITEMS]: [item] }, finish_reason: null }] });
        if (items.texts![i] !== '') chunks.push({ ...base, choices: [{ index, delta: { reasoning_content: items.texts![i] }, finish_reason: null }] });
      });
    } else {
      if (items) chunks.push({ ...base, choices: [{ index, delta: { [REASONING_ITEMS]: items.items }, finish_reason: null }] });
      const reasoning = hostReasoningFields(message);
      if (reasoning) chunks.push({ ...base, choices: [{ index, delta: reasoning, finish_reason: null }] });
    }
    if (message.thinking_blocks) chunks.push({ ...base, choices: [{ index, delta: { thinking_blocks: message.thinking_blocks }, finish_reason: null }] });
    if (typeof message.content === 'string' && message.content !== '') chunks.push({ ...base, choices: [{ index, delta: { content: message.content }, finish_reason: null, ...(choice.logprobs ? { logprobs: choice.logprobs } : {}) }] });
    if (typeof message.refusal === 'string') chunks.push({ ...base, choices: [{ index, delta: { refusal: message.refusal }, finish_reason: null }] });
    (message.tool_calls ?? []).forEach((call, i) =>
      chunks.push({ ...base, choices: [{ index, delta: { tool_calls: [{ index: i, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments }, ...providerData(call) }] }, finish_reason: null }] }),
    );
    chunks.push({ ...base, choices: [{ index, delta: {}, finish_reason: choice.finish_reason, ...nativeFinishOf(choice) }] });
  }
  if (completion.usage) chunks.push({ ...base, choices: [], usage: completion.usage });
  return chunks;
}

/** The chunks of a finished stream as the completion a JSON client would have got. */
export function assemble(chunks: readonly ChatCompletionChunk[]): ChatCompletion {
  const first = chunks[0];
  const choices = new Map<number, { message: ChatMessage & { content: string | null }; finish_reason: string | null; native_finish_reason?: string; stop_sequence?: string; contentLost?: true; calls: Map<number, ToolCall>; callNumbers: StreamedToolCalls; thinking: StreamedThinking; details?: StreamedReasoningDetails; items?: ReasoningItemsById; logprobs?: { content: unknown[]; refusal: unknown[] } }>();
  let usage: Usage | undefined;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      let into = choices.get(choice.index);
      if (!into) choices.set(choice.index, (into = { message: { role: 'assistant', content: null }, finish_reason: null, calls: new Map(), callNumbers: new StreamedToolCalls(), thinking: new StreamedThinking() }));
      // Azure's asynchronous filter sends choices with no delta (their filter results only).
      const delta = choice.delta ?? {};
      const message = into.message;
      if (typeof delta.content === 'string') message.content = (message.content ?? '') + delta.content;
      // Under the name the host gave it (`reasoning_content`, or OpenRouter's `reasoning` and
      // `reasoning_details`), so that a hit gives the client what the answer gave it.
      const reasoning = reasoningTextOf(delta);
      if (reasoning !== '') into.thinking.reasoning(reasoning);
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') message.reasoning_content = (message.reasoning_content ?? '') + delta.reasoning_content;
      if (typeof delta.reasoning === 'string' && delta.reasoning !== '') message.reasoning = (typeof message.reasoning === 'string' ? message.reasoning : '') + delta.reasoning;
      const details = reasoningDetailsOf(delta);
      // Each entry whole, as the host's JSON answer has it, however many pieces the stream cut it into.
      if (details) {
        into.details ??= new StreamedReasoningDetails();
        into.details.add(details);
        message.reasoning_details = into.details.list();
      }
      const reasoningItems = carriedReasoningItems(delta);
      if (reasoningItems) {
        into.items ??= new ReasoningItemsById();
        into.items.add(reasoningItems);
        message[REASONING_ITEMS] = into.items.list;
      }
      if (typeof delta.refusal === 'string') message.refusal = ((message.refusal as string | undefined) ?? '') + delta.refusal;
      // The block a JSON answer has holds a streamed block's text with its signature.
      // Appended in place, one at a time: an upstream decides how many chunks carry blocks, and how many each.
      if (delta.thinking_blocks) {
        const blocks: ThinkingBlock[] = (message.thinking_blocks as ThinkingBlock[] | undefined) ?? [];
        appendAll(blocks, into.thinking.blocks(delta.thinking_blocks));
        message.thinking_blocks = blocks;
      }
      // Each chunk's log probabilities are its tokens': the answer's are all of them, in order.
      const logprobs = choice.logprobs as { content?: unknown[] | null; refusal?: unknown[] | null } | null | undefined;
      if (logprobs) {
        into.logprobs ??= { content: [], refusal: [] };
        appendAll(into.logprobs.content, logprobs.content ?? []);
        appendAll(into.logprobs.refusal, logprobs.refusal ?? []);
      }
      if ((choice as { native_content_lost?: unknown }).native_content_lost === true) into.contentLost = true;
      const native = (choice as { native_finish_reason?: unknown }).native_finish_reason;
      if (typeof native === 'string') {
        into.native_finish_reason = native;
        const sequence = (choice as { stop_sequence?: unknown }).stop_sequence;
        if (typeof sequence === 'string') into.stop_sequence = sequence;
      }
      for (const piece of delta.tool_calls ?? []) {
        const number = into.callNumbers.callOf(piece);
        let call = into.calls.get(number);
        if (!call) into.calls.set(number, (call = { id: '', type: 'function', function: { name: '', arguments: '' } }));
        if (piece.id) call.id = piece.id;
        if (piece.extra_content !== undefined) call.extra_content = piece.extra_content;
        if (piece.function?.name) call.function.name += piece.function.name;
        if (piece.function?.arguments) call.function.arguments += piece.function.arguments;
      }
      if (choice.finish_reason) into.finish_reason = choice.finish_reason;
    }
  }
  return {
    id: first?.id ?? 'chatcmpl-cached',
    object: 'chat.completion',
    created: first?.created ?? Math.floor(Date.now() / 1000),
    model: first?.model ?? '',
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, { message, finish_reason, native_finish_reason, stop_sequence, contentLost, calls, logprobs }]) => ({
        index,
        message: calls.size > 0 ? { ...message, tool_calls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call) } : message,
        finish_reason,
        ...(logprobs ? { logprobs: { content: logprobs.content, refusal: logprobs.refusal.length > 0 ? logprobs.refusal : null } } : {}),
        ...(native_finish_reason !== undefined ? { native_finish_reason } : {}),
        ...(stop_sequence !== undefined ? { stop_sequence } : {}),
        ...(contentLost ? { native_content_lost: true } : {}),
      })),
    ...(usage ? { usage } : {}),
  };
}

/**
 * Only a complete answer that was not cut or filtered is worth giving to someone else; nor is a
 * turn its provider only paused (Anthropic's `pause_turn`, a server tool still at work: the client
 * must send it back to go on), which OpenAI's terms call a `stop`; nor one that says nothing (no
 * text, call or refusal). The chat view of a native answer made only of items chat has no words
 * for (OpenAI's `compaction` item) is such an answer: replayed, it would be an empty message. Nor
 * one whose native answer held what the chat view cannot say (`native_content_lost`: Anthropic's
 * server tool blocks and citations), which a hit would give back without them.
 */
export function storable(completion: ChatCompletion): boolean {
  return (
    completion.choices.length > 0 &&
    completion.choices.every(
      (c) =>
        c.finish_reason !== null &&
        c.finish_reason !== 'content_filter' &&
        c.finish_reason !== 'error' &&
        (c as { native_finish_reason?: unknown }).native_finish_reason !== 'pause_turn' &&
        (c as { native_content_lost?: unknown }).native_content_lost !== true &&
        saysSomething(c.message),
    )
  );
}

function saysSomething(message: ChatCompletion['choices'][number]['message'] | undefined): boolean {
  if (!message) return false;
  if ((message.tool_calls?.length ?? 0) > 0 || (typeof message.refusal === 'string' && message.refusal !== '')) return true;
  const content = message.content;
  return typeof content === 'string' ? content !== '' : Array.isArray(content) && content.length > 0;
}

/** Size of an entry as stored (JSON), for the size cap and the stats. */
export function sizeOf(entry: CacheEntry): number {
  return Buffer.byteLength(JSON.stringify(entry));
}

/**
 * The upstream reasoning items a stream carries (the chat view's `REASONING_ITEMS`, plugins/responses:
 * an upstream's own Responses reasoning items, with OpenAI's `encrypted_content` a stateless client
 * needs back), in order. A stream has each item as it opens and again done: one with an id already
 * there replaces it, found by id (a stream may carry tens of thousands).
 */
class ReasoningItemsById {
  readonly list: ResponseReasoningItem[] = [];
  private readonly positions = new Map<string, number>();

  add(items: readonly ResponseReasoningItem[]): void {
    for (const item of items) {
      const at = this.positions.get(item.id);
      if (at === undefined) this.positions.set(item.id, this.list.push(item) - 1);
      else this.list[at] = item;
    }
  }
}

/**
 * A message's upstream reasoning items (undefined when it has none) and each one's text (its
 * summary and reasoning text, which the message's `reasoning_content` is made of); no texts when
 * its reasoning text is not theirs alone, which then goes as one piece.
 */
function upstreamReasoning(message: ChatMessage): { items: ResponseReasoningItem[]; texts?: string[] } | undefined {
  const items = carriedReasoningItems(message);
  // Every one of them an item, or the reasoning goes as text alone.
  if (!items || items.length !== (message[REASONING_ITEMS] as unknown[]).length) return undefined;
  const texts = items.map((item) => [...(item.summary ?? []), ...(item.content ?? [])].map((part) => (typeof part?.text === 'string' ? part.text : '')).join(''));
  return texts.join('') === (message.reasoning_content ?? '') ? { items, texts } : { items };
}

/**
 * The stop reason a provider gave in its own terms beside the finish reason (`native_finish_reason`:
 * Anthropic's `stop_sequence`, with the `stop_sequence` that matched, or
 * `model_context_window_exceeded`), for the front-end that renders the answer in those terms.
 */
function nativeFinishOf(choice: ChatCompletion['choices'][number]): { native_finish_reason?: unknown; stop_sequence?: unknown } {
  if (choice.native_finish_reason === undefined) return {};
  return choice.stop_sequence === undefined ? { native_finish_reason: choice.native_finish_reason } : { native_finish_reason: choice.native_finish_reason, stop_sequence: choice.stop_sequence };
}

/**
 * A call's provider data (`extra_content`: Gemini's thought signature, which it needs back on the
 * next turn), kept whichever form the answer is replayed in.
 */
function providerData(call: ToolCall): { extra_content?: unknown } {
  return call.extra_content === undefined ? {} : { extra_content: call.extra_content };
}

/**
 * A whole answer's reasoning as one delta, each field under the name the host gave it:
 * `reasoning_content`, or OpenRouter's `reasoning` and `reasoning_details`. Undefined without any.
 */
function hostReasoningFields(message: ChatMessage): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') fields.reasoning_content = message.reasoning_content;
  if (typeof message.reasoning === 'string' && message.reasoning !== '') fields.reasoning = message.reasoning;
  const details = reasoningDetailsOf(message);
  if (details) fields.reasoning_details = details;
  return Object.keys(fields).length > 0 ? fields : undefined;
}
