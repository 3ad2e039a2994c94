import { GatewayError, type NativeRequest } from 'llm-gateway/plugin';
import type { ResponseInputItem } from '../protocol/types.js';

/**
 * The client's body for an upstream that speaks the Responses API. When the client named a previous
 * response or stored items, its `input` is replaced by the expanded conversation and
 * `previous_response_id` is dropped: those ids are the gateway's, unknown upstream.
 */
export function nativeRequest(body: Record<string, unknown>, nativeInput: readonly ResponseInputItem[] | undefined): NativeRequest {
  if (!nativeInput) return { protocol: 'openai-responses', body, headers: {} };
  const { previous_response_id: _gatewayId, ...rest } = body;
  return { protocol: 'openai-responses', body: { ...rest, input: nativeInput }, headers: {} };
}

/** An upstream's Responses API answer (a response, or a streamed event's data), parsed. */
export function parseUpstreamJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('upstream', 'The upstream answered with a response that is not JSON.', { code: 'upstream_invalid_response' });
  }
}

/**
 * The upstream's Responses API answer (a response, or a streamed event's data) as the client must
 * see it: where the gateway expanded `previous_response_id`, the upstream never saw it and answers
 * null, so the id goes back in (`response.previous_response_id` of an event's data). The text as
 * it came otherwise.
 */
export function withPreviousResponseId(text: string, previousResponseId: string | null | undefined, inEvent: boolean): { text: string; parsed: unknown } {
  const parsed = parseUpstreamJson(text);
  if (typeof previousResponseId !== 'string') return { text, parsed };
  const holder = inEvent ? (parsed as { response?: unknown } | null)?.response : parsed;
  if (typeof holder !== 'object' || holder === null) return { text, parsed };
  (holder as { previous_response_id?: unknown }).previous_response_id = previousResponseId;
  return { text: JSON.stringify(parsed), parsed };
}
