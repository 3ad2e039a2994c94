/**
 * The semantic cache, tried after an exact miss: the last user message is embedded with an
 * embeddings model the gateway itself serves, and the nearest earlier request of the same
 * partition (scope, model, system prompt, tools, response format, every other field) answers if
 * its cosine similarity reaches the threshold. Only short conversations qualify (`maxTurns` user
 * turns, default 1): deep in a conversation, a similar last message says little about the answer.
 *
 * The embeddings call is bounded by `timeoutMs`; when it fails or is slow, the request goes on as
 * a miss and the failure is counted.
 */
import type { ChatCompletionRequest, ChatMessage, ModelLookup, PluginHost } from 'llm-gateway/plugin';

export interface SemanticOptions {
  /** The embeddings model, as a client would name it: `openai/text-embedding-3-small`, a virtual model. */
  model: string;
  /** Cosine similarity a neighbour must reach to answer. Default 0.95. */
  threshold: number;
  /** Conversations with at most this many user messages are looked up. Default 1. */
  maxTurns: number;
  /** Bound on the embeddings call. Default 500 ms. */
  timeoutMs: number;
}

/** The text the semantic cache compares: the last user message, when the conversation is short enough. */
export function textToEmbed(request: ChatCompletionRequest, maxTurns: number): string | undefined {
  const users = request.messages.filter((m) => m.role === 'user');
  if (users.length === 0 || users.length > maxTurns) return undefined;
  const last = request.messages.at(-1);
  if (last?.role !== 'user') return undefined;
  const text = textOf(last);
  return text.trim() === '' ? undefined : text;
}

function textOf(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  // Images and other parts are not embedded: a message with them is not compared at all.
  if (!content.every((part) => part.type === 'text')) return '';
  return content.map((part) => String(part.text ?? '')).join('\n');
}

export type Embed = (text: string) => Promise<Float32Array>;

/** Embeds through the provider that serves `model`, bounded by `timeoutMs`. */
export function embedder(host: Pick<PluginHost, 'provider'> & { models: ModelLookup }, options: SemanticOptions): Embed {
  return async function embed(text) {
    const target = host.models.resolve(options.model).targets[0];
    const provider = target && host.provider(target.provider);
    if (!target || !provider?.embeddings) throw new Error(`no provider serves embeddings for '${options.model}'`);
    const result = await provider.embeddings({ body: { model: target.model, input: text }, signal: AbortSignal.timeout(options.timeoutMs) });
    const vector = result.body.data[0]?.embedding;
    if (!Array.isArray(vector) || vector.length === 0) throw new Error(`'${options.model}' returned no embedding`);
    return Float32Array.from(vector);
  };
}
