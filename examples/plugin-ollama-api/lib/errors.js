// @ts-check
/**
 * Ollama's error body: `{"error": "<message>"}` with the HTTP status (api/types.go StatusError;
 * the clients read only `error`). Used for every failure on `/api` paths, and as the last line of
 * a stream that fails after it began.
 */

/**
 * @param {import('llm-gateway/plugin').GatewayError} error
 * @returns {{ error: string }}
 */
export function renderOllamaError(error) {
  return { error: error.message };
}
