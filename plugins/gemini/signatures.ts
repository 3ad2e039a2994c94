/**
 * Where a tool call carries Gemini's thought signature in OpenAI terms:
 * `extra_content.google.thought_signature`, the field Google's own OpenAI-compatible endpoint uses.
 * from-gemini.ts puts it there, to-gemini.ts sends it back, answer-function.ts moves it.
 */
import type { ToolCall } from 'llm-gateway/plugin';

/** A tool call's thought signature, if it has one. */
export function thoughtSignatureOf(call: ToolCall): string | undefined {
  const google = (call.extra_content as { google?: { thought_signature?: unknown } } | null | undefined)?.google;
  return typeof google?.thought_signature === 'string' && google.thought_signature !== '' ? google.thought_signature : undefined;
}

/** `call` carrying `signature`. */
export function withThoughtSignature(call: ToolCall, signature: string): ToolCall {
  return { ...call, extra_content: { google: { thought_signature: signature } } };
}
