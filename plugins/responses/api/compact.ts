/**
 * `POST /v1/responses/compact`: OpenAI's standalone compaction (`responses.compact` in openai-node;
 * earlier Codex CLI releases and the OpenAI Agents SDK's compaction session call it). It takes what
 * `POST /v1/responses` takes for a conversation (`model`, `input`, `instructions`,
 * `previous_response_id`, `tools`, `reasoning`) and answers `{object: 'response.compaction',
 * output, usage}`, where `output` is the window the client goes on with: the conversation's user
 * messages (`retainedUserMessages`), then one `compaction` item.
 *
 * It is the same request as a `compaction_trigger` ending the input (see protocol/compaction.ts), run
 * through the same pipeline: OpenAI compacts it itself; any other provider writes a summary.
 * Nothing is stored.
 */
import { GatewayError, defineFrontEnd, nativeOf, type ChatCompletion, type FrontEnd } from 'llm-gateway/plugin';
import { authenticatedKey } from 'llm-gateway/plugins/auth';
import { asCompaction, retainedUserMessages } from '../protocol/compaction.js';
import { responseShell, toResponse } from '../protocol/from-chat-response.js';
import { newId } from '../protocol/ids.js';
import { inputItems } from '../protocol/items.js';
import { toChatRequest } from '../protocol/to-chat-request.js';
import type { ToolNames } from '../protocol/tools.js';
import type { ResponseInputItem, ResponseObject, ResponseOutputItem, ResponsesRequest } from '../protocol/types.js';
import { validateResponsesRequest } from '../protocol/validate-request.js';
import type { ResponseStore } from '../store/response-store.js';
import { loadConversation } from './conversation.js';
import { nativeRequest } from './native-request.js';

interface CompactState {
  readonly request: ResponsesRequest;
  readonly retained: readonly ResponseInputItem[];
  readonly toolNames: ToolNames;
}

export function compactApi(store: ResponseStore): FrontEnd<CompactState> {
  return defineFrontEnd<CompactState>({
    endpoint: 'responses.compact',
    paths: ['/v1/responses/compact'],
    async parse(body, http) {
      const asked = validateResponsesRequest(body);
      // The trigger is what the request means; it is answered whole, and kept nowhere.
      const request: ResponsesRequest = { ...asked, input: [...inputItems(asked.input), { type: 'compaction_trigger' }], stream: false, store: false };
      const conversation = await loadConversation(request, store, authenticatedKey(http)?.id ?? null);
      if (conversation.items.length <= 1) throw new GatewayError('invalid_request', 'There is nothing to compact: give `input` or `previous_response_id`.', { param: 'input', code: 'missing_required_parameter' });
      const { request: chat, losses, toolNames } = toChatRequest(request, conversation.placed);
      const native = nativeRequest(request as unknown as Record<string, unknown>, conversation.nativeInput);
      return { operation: 'chat', request: chat, native, losses, advisory: ['reasoning_effort', 'user'], state: { request, retained: retainedUserMessages(conversation.items).map(withoutId), toolNames } };
    },
    renderJson(_ctx, answer, state) {
      const native = nativeOf(answer, 'openai-responses');
      const response = native ? upstreamResponse(native.data) : asCompaction(toResponse(answer as ChatCompletion, responseShell(state.request, newId('resp'), state.request.model), state.toolNames));
      const compaction = response?.output.find((item) => item.type === 'compaction');
      if (!response || !compaction) throw new GatewayError('upstream', 'The model wrote no summary to compact the conversation into.', { code: 'compaction_failed', retryable: true });
      const output: Array<ResponseInputItem | ResponseOutputItem> = [...state.retained, compaction];
      return { id: response.id, object: 'response.compaction', created_at: response.created_at, output, usage: response.usage ?? null };
    },
    renderStream() {
      // The request it sends is never streamed.
      throw new GatewayError('internal', 'A compaction is answered whole.', { code: 'unexpected_stream', retryable: false });
    },
  });
}

function upstreamResponse(text: string): ResponseObject | undefined {
  try {
    const parsed = JSON.parse(text) as ResponseObject | null;
    return Array.isArray(parsed?.output) ? parsed : undefined;
  } catch {
    throw new GatewayError('upstream', 'The upstream answered with a response that is not JSON.', { code: 'upstream_invalid_response' });
  }
}

/**
 * A retained message as the client goes on with it: without the id the gateway gave it, which names
 * nothing (a compaction is not stored), and which OpenAI would look up when sent it.
 */
function withoutId(item: ResponseInputItem): ResponseInputItem {
  const { id: _id, ...rest } = item;
  return rest as ResponseInputItem;
}
