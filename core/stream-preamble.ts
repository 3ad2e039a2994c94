/**
 * What counts as the start of an answer in a stream of chat chunks. A chunk is preamble when all
 * it carries is a role, empty content, or nothing (OpenAI's first `{role: 'assistant', content: ''}`
 * chunk; Anthropic's `message_start` and `ping`, and Gemini's empty candidate, as adapters translate
 * them; the native events those chunks carry). Anything else (content, a tool call, reasoning, a
 * finish reason, usage, or a value that is not a chat chunk at all) is meaningful.
 */
export function isMeaningfulChunk(chunk: unknown): boolean {
  if (typeof chunk !== 'object' || chunk === null) return true;
  const { choices, usage } = chunk as { choices?: unknown; usage?: unknown };
  if (!Array.isArray(choices)) return true;
  if (usage) return true;
  return choices.some((choice: { delta?: Record<string, unknown>; finish_reason?: unknown } | null) => {
    if (!choice) return false;
    if (choice.finish_reason) return true;
    const delta = choice.delta ?? {};
    return Object.entries(delta).some(([field, value]) => field !== 'role' && !empty(value));
  });
}

function empty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}
