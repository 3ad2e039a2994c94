/**
 * A thinking model's reasoning as the gateway reads it, from hosts that name it their own way. The
 * gateway's chat view carries it as `reasoning_content` (DeepSeek's name, which translations for
 * Anthropic and Responses clients read); OpenRouter, Groq (`reasoning_format: "parsed"`) and
 * others write `reasoning`, on a whole answer's message and on each streamed delta. Filled in where
 * `reasoning_content` is absent. The upstream's own text, where it is passed on, is not changed.
 */
export function readHostReasoning(choices: unknown, part: 'message' | 'delta'): void {
  if (!Array.isArray(choices)) return;
  for (const choice of choices) {
    const said = (choice as Record<string, unknown> | null)?.[part] as Record<string, unknown> | null | undefined;
    if (typeof said !== 'object' || said === null) continue;
    if (typeof said.reasoning === 'string' && said.reasoning !== '' && said.reasoning_content === undefined) said.reasoning_content = said.reasoning;
  }
}
