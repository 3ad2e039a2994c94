/** Helpers for adapter tests over msw: event-stream responses, and reading what an adapter returns. */
import type { GatewayError } from '../../core/errors.js';
import type { ChatCompletionChunk } from '../../core/protocol/openai.js';
import type { ChatResult } from '../../core/providers/provider.js';

/** An SSE response whose body arrives in the given pieces, cut wherever the test likes. */
export function sse(pieces: ReadonlyArray<string | Uint8Array>, init: ResponseInit = {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' }, ...init });
}

export async function collect(result: ChatResult): Promise<ChatCompletionChunk[]> {
  if (result.kind !== 'stream') throw new Error('expected a stream');
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of result.chunks) chunks.push(chunk);
  return chunks;
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a failure');
}
