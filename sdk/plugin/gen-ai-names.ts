/**
 * Names from OpenTelemetry's GenAI semantic conventions that metrics and traces both write, so a
 * dashboard joins them: one definition, not one copy each.
 */

/** `gen_ai.operation.name`: what the gateway asks of the provider (`chat`, `text_completion`, `embeddings`). */
export function genAiOperationName(operation: string, endpoint: string): string {
  if (operation === 'embeddings') return 'embeddings';
  return endpoint === 'completions' ? 'text_completion' : 'chat';
}
