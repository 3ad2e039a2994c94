/**
 * Provider data a tool call carries that an Anthropic client has nowhere to keep: Gemini 3's thought
 * signature (`extra_content.google.thought_signature`), without which Gemini reasons afresh on the
 * next turn (the gateway otherwise sends Google's documented stand-in, see the Gemini adapter). A
 * `tool_use` block is id, name and input, but a client sends a thinking block back as it got it,
 * signature included, even when it did not ask for thinking (Claude Code 2.1 does). So the call's
 * data goes in the signature of an empty thinking block before the call, marked as the gateway's,
 * and the next turn reads it back onto the call. It is not encrypted: Gemini's signature is what
 * protects it. Such a block is the gateway's alone: it never reaches an Anthropic upstream.
 *
 * The same block carries an answer's `reasoning_details` (OpenRouter's signed reasoning entries,
 * which it asks for back on the next turn of a tool loop: "Preserving reasoning blocks",
 * openrouter.ai/docs/use-cases/reasoning-tokens; Gemini models there refuse a tool loop's next
 * step without their thought signatures), read back onto the assistant message.
 */
import type { ToolCall } from 'llm-gateway/plugin';
import type { AnthropicContentBlock, AnthropicRequest, AnthropicThinkingBlock } from './types.js';

const PREFIX = 'llm-gateway.tool-call.v1:';
/**
 * A client can write a carrier itself: what it decodes to is bounded like a request body's JSON
 * (core/http/json-shape.ts), since the base64 hides it from that check. Gemini's signatures are a
 * few KB, two levels deep.
 */
const LONGEST_SIGNATURE = 64 * 1024;
/** Reasoning entries hold whole encrypted reasoning: larger, and still bounded by the request body's own limit. */
const LONGEST_DETAILS_SIGNATURE = 4 * 1024 * 1024;
const DEEPEST_DATA = 8;

/** The provider data of a call, if it has any (`extra_content`, as adapters set it). */
export function callDataOf(call: { readonly [field: string]: unknown }): Record<string, unknown> | undefined {
  const extra = call.extra_content;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra) && Object.keys(extra).length > 0 ? (extra as Record<string, unknown>) : undefined;
}

/** The thinking block that carries call `id`'s data to the next turn. */
export function carrierBlock(id: string, data: Record<string, unknown>): AnthropicThinkingBlock {
  return { type: 'thinking', thinking: '', signature: carrierSignature(id, data) };
}

export function carrierSignature(id: string, data: Record<string, unknown>): string {
  return signatureOf({ id, data });
}

/** The thinking block that carries an answer's `reasoning_details` to the next turn. */
export function reasoningDetailsCarrier(details: readonly unknown[]): AnthropicThinkingBlock {
  return { type: 'thinking', thinking: '', signature: reasoningDetailsSignature(details) };
}

export function reasoningDetailsSignature(details: readonly unknown[]): string {
  return signatureOf({ reasoning_details: details });
}

function signatureOf(payload: object): string {
  return PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** True for a block the gateway made to carry a call's data. */
export function isCarrier(block: AnthropicContentBlock): boolean {
  return block.type === 'thinking' && typeof block.signature === 'string' && block.signature.startsWith(PREFIX);
}

/** What a carrier block holds: a call's provider data, or an answer's reasoning entries. */
export type Carried = { readonly id: string; readonly data: Record<string, unknown> } | { readonly reasoningDetails: unknown[] };

/** What a carrier block holds, read once; undefined for any other block, or one that does not read. */
export function readCarrier(block: AnthropicContentBlock): Carried | undefined {
  if (!isCarrier(block)) return undefined;
  const signature = block.signature as string;
  if (signature.length > LONGEST_DETAILS_SIGNATURE) return undefined;
  let payload: { id?: unknown; data?: unknown; reasoning_details?: unknown };
  try {
    payload = JSON.parse(Buffer.from(signature.slice(PREFIX.length), 'base64url').toString('utf8')) as typeof payload;
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const details = payload.reasoning_details;
  if (Array.isArray(details)) return deeperThan(details, DEEPEST_DATA) ? undefined : { reasoningDetails: details };
  const data = payload.data;
  if (signature.length > LONGEST_SIGNATURE || typeof payload.id !== 'string' || typeof data !== 'object' || data === null || Array.isArray(data) || deeperThan(data, DEEPEST_DATA)) return undefined;
  return { id: payload.id, data: data as Record<string, unknown> };
}

/** Puts carried data back on the calls it belongs to. */
export function restoreCallData(calls: ToolCall[], carried: ReadonlyMap<string, Record<string, unknown>>): void {
  if (carried.size === 0) return;
  for (const call of calls) {
    const data = carried.get(call.id);
    if (data) call.extra_content = data;
  }
}

/** The request for an Anthropic upstream: without the gateway's carrier blocks, whose signatures Anthropic would refuse. */
export function withoutCarriers(request: AnthropicRequest): AnthropicRequest {
  const carries = (content: unknown) => Array.isArray(content) && content.some((block: AnthropicContentBlock) => isCarrier(block));
  if (!request.messages.some((message) => message.role === 'assistant' && carries(message.content))) return request;
  return {
    ...request,
    messages: request.messages.map((message) => (message.role === 'assistant' && carries(message.content) ? { ...message, content: (message.content as AnthropicContentBlock[]).filter((block) => !isCarrier(block)) } : message)),
  };
}

function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levels === 0) return true;
  for (const inner of Object.values(value)) if (deeperThan(inner, levels - 1)) return true;
  return false;
}
