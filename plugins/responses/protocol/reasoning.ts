/**
 * Reasoning items carry what a provider needs back on the next turn. Anthropic needs its thinking
 * blocks verbatim, signatures included, in a tool-use conversation; Gemini 3 needs the thought
 * signature of each function call it made. A Responses client keeps a reasoning item's
 * `encrypted_content` and sends it back as it got it (Codex does, with
 * `include: ['reasoning.encrypted_content']`), while it may drop fields it does not know from a
 * function call. So the gateway puts both there, marked as its own: the signed thinking blocks, and
 * each tool call's provider data (`extra_content`, where the Gemini adapter keeps the signature) by
 * call id. It is not encrypted: the providers' signatures are what protect it, as on their own
 * APIs. OpenAI's own opaque `encrypted_content` is not the gateway's and is left alone. A turn's
 * `reasoning_details` (OpenRouter's signed reasoning entries, which it asks for back on the next
 * turn of a tool loop) ride there too, with the ids of the calls of the turn they belong to.
 */
import type { ThinkingBlock } from 'llm-gateway/plugin';
import type { ResponseReasoningItem } from './types.js';

const PREFIX = 'llm-gateway.reasoning.v1:';
/**
 * A client can write a carrier itself: what it decodes to is bounded like a request body's JSON
 * (core/http/json-shape.ts, its default limits), since the base64 hides it from that check. A turn
 * has a few thinking blocks and tool calls, a call's data is two levels deep (Gemini's); a carrier
 * past these is not one the gateway made, and is ignored like any other that does not read.
 */
const MOST_ENTRIES = 100_000;
const DEEPEST_DATA = 8;

export interface CarriedReasoning {
  /** Anthropic's thinking blocks, signatures included. */
  readonly thinking: readonly ThinkingBlock[];
  /** A tool call's `extra_content` by its call id (Gemini's `google.thought_signature`). */
  readonly toolCalls: Readonly<Record<string, Record<string, unknown>>>;
  /** A turn's `reasoning_details`, and the ids of the turn's calls, by which the next request finds its assistant message. */
  readonly reasoningDetails?: TurnReasoningDetails;
}

export interface TurnReasoningDetails {
  readonly calls: readonly string[];
  readonly entries: readonly unknown[];
}

export function encodeReasoning(carried: Partial<CarriedReasoning>): string {
  const payload: { thinking?: CarriedReasoning['thinking']; toolCalls?: CarriedReasoning['toolCalls']; reasoningDetails?: TurnReasoningDetails } = {};
  if (carried.thinking?.length) payload.thinking = carried.thinking;
  if (carried.toolCalls && Object.keys(carried.toolCalls).length > 0) payload.toolCalls = carried.toolCalls;
  if (carried.reasoningDetails) payload.reasoningDetails = carried.reasoningDetails;
  return PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** What the gateway put in an `encrypted_content`; undefined for anything else. */
export function decodeReasoning(encrypted: unknown): CarriedReasoning | undefined {
  if (!isGatewayReasoning(encrypted)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(payload) || overBounds(payload)) return undefined;
  const thinking = Array.isArray(payload.thinking) ? payload.thinking.filter(isThinkingBlock) : [];
  const toolCalls = isRecord(payload.toolCalls) ? Object.fromEntries(Object.entries(payload.toolCalls).filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]))) : {};
  const details = payload.reasoningDetails;
  const reasoningDetails = isRecord(details) && Array.isArray(details.calls) && details.calls.every((id) => typeof id === 'string') && Array.isArray(details.entries) && details.entries.length > 0 ? { calls: details.calls as string[], entries: details.entries } : undefined;
  return { thinking, toolCalls, ...(reasoningDetails ? { reasoningDetails } : {}) };
}

/** True for a reasoning item the gateway made (another provider's), which only the gateway can read. */
export function isGatewayReasoning(encrypted: unknown): encrypted is string {
  return typeof encrypted === 'string' && encrypted.startsWith(PREFIX);
}

/** Whether a carrier's payload has more blocks or calls, or deeper call data, than the gateway ever puts there. */
function overBounds(payload: Record<string, unknown>): boolean {
  const { thinking, toolCalls, reasoningDetails } = payload;
  if (Array.isArray(thinking) && thinking.length > MOST_ENTRIES) return true;
  if (isRecord(toolCalls) && Object.keys(toolCalls).length > MOST_ENTRIES) return true;
  if (isRecord(reasoningDetails) && [reasoningDetails.calls, reasoningDetails.entries].some((list) => Array.isArray(list) && list.length > MOST_ENTRIES)) return true;
  // payload → toolCalls → call id → the call's data.
  return deeperThan(payload, DEEPEST_DATA + 2);
}

function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levels === 0) return true;
  for (const inner of Object.values(value)) if (deeperThan(inner, levels - 1)) return true;
  return false;
}

function isThinkingBlock(value: unknown): value is ThinkingBlock {
  if (!isRecord(value)) return false;
  if (value.type === 'thinking') return typeof value.thinking === 'string' && (value.signature === undefined || typeof value.signature === 'string');
  return value.type === 'redacted_thinking' && typeof value.data === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The chat view's field (on a message, or a chunk's delta) that keeps an upstream's own reasoning
 * items, as the Responses API gave them (id, summary, OpenAI's opaque `encrypted_content`), for
 * whatever renders the answer as a Response again (a cache hit): a stateless client (Codex,
 * `store: false` with `include: ['reasoning.encrypted_content']`) needs OpenAI's blob back, which
 * the reasoning text alone cannot give. A stream has each item twice: as it opens (its id), and
 * done (`response.output_item.done`): the later one replaces the earlier, by id.
 */
export const REASONING_ITEMS = 'reasoning_items';

/** The upstream reasoning items a message or delta carries (`REASONING_ITEMS`); undefined when none. */
export function carriedReasoningItems(holder: Record<string, unknown>): ResponseReasoningItem[] | undefined {
  const items = holder[REASONING_ITEMS];
  if (!Array.isArray(items) || items.length === 0) return undefined;
  const valid = items.filter((item): item is ResponseReasoningItem => isRecord(item) && item.type === 'reasoning' && typeof item.id === 'string');
  return valid.length > 0 ? valid : undefined;
}
