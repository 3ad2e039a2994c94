/**
 * Reasoning items carry what a provider needs back on the next turn. Anthropic needs its thinking
 * blocks verbatim, signatures included, in a tool-use conversation; Gemini 3 needs the thought
 * signature of each function call it made. A Responses client keeps a reasoning item's
 * `encrypted_content` and sends it back as it got it (Codex does, with
 * `include: ['reasoning.encrypted_content']`), while it may drop fields it does not know from a
 * function call. So the gateway puts both there, marked as its own: the signed thinking blocks, and
 * each tool call's provider data (`extra_content`, where the Gemini adapter keeps the signature) by
 * call id. It is not encrypted: the providers' signatures are what protect it, as on their own
 * APIs. OpenAI's own opaque `encrypted_content` is not the gateway's and is left alone.
 */
import type { ThinkingBlock } from 'llm-gateway/plugin';

const PREFIX = 'llm-gateway.reasoning.v1:';

export interface CarriedReasoning {
  /** Anthropic's thinking blocks, signatures included. */
  readonly thinking: readonly ThinkingBlock[];
  /** A tool call's `extra_content` by its call id (Gemini's `google.thought_signature`). */
  readonly toolCalls: Readonly<Record<string, Record<string, unknown>>>;
}

export function encodeReasoning(carried: Partial<CarriedReasoning>): string {
  const payload: { thinking?: CarriedReasoning['thinking']; toolCalls?: CarriedReasoning['toolCalls'] } = {};
  if (carried.thinking?.length) payload.thinking = carried.thinking;
  if (carried.toolCalls && Object.keys(carried.toolCalls).length > 0) payload.toolCalls = carried.toolCalls;
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
  if (!isRecord(payload)) return undefined;
  const thinking = Array.isArray(payload.thinking) ? payload.thinking.filter(isThinkingBlock) : [];
  const toolCalls = isRecord(payload.toolCalls) ? Object.fromEntries(Object.entries(payload.toolCalls).filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]))) : {};
  return { thinking, toolCalls };
}

/** True for a reasoning item the gateway made (another provider's), which only the gateway can read. */
export function isGatewayReasoning(encrypted: unknown): encrypted is string {
  return typeof encrypted === 'string' && encrypted.startsWith(PREFIX);
}

function isThinkingBlock(value: unknown): value is ThinkingBlock {
  if (!isRecord(value)) return false;
  if (value.type === 'thinking') return typeof value.thinking === 'string' && (value.signature === undefined || typeof value.signature === 'string');
  return value.type === 'redacted_thinking' && typeof value.data === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
