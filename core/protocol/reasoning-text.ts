/**
 * A thinking model's reasoning text on a chat message or delta, under either name an OpenAI-format
 * host gives it: `reasoning_content` (DeepSeek's, and the gateway's own translations') or
 * `reasoning` (OpenRouter: "Reasoning tokens will appear in the reasoning field of each message",
 * openrouter.ai/docs/use-cases/reasoning-tokens; Groq with `reasoning_format: "parsed"`). Read, never
 * written back: an OpenAI client, and the cache, get the host's own fields as it wrote them. A
 * `reasoning_content` that is empty or null leaves `reasoning` to speak.
 */
export function reasoningTextOf(part: { readonly reasoning_content?: unknown; readonly reasoning?: unknown } | null | undefined): string {
  if (!part) return '';
  const content = part.reasoning_content;
  if (typeof content === 'string' && content !== '') return content;
  const reasoning = part.reasoning;
  return typeof reasoning === 'string' ? reasoning : '';
}

/**
 * The host's signed reasoning entries on a chat message or delta (OpenRouter's `reasoning_details`,
 * which it asks for back on the next turn of a tool loop); undefined where it gave none.
 */
export function reasoningDetailsOf(part: { readonly [field: string]: unknown } | null | undefined): unknown[] | undefined {
  const details = part?.reasoning_details;
  return Array.isArray(details) && details.length > 0 ? details : undefined;
}
