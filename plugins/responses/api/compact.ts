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
import { asCompaction, compactionFailed, retainedUserMessages } from '../protocol/compaction.js';
import { responseShell, toResponse } from '../protocol/from-chat-response.js';
import { newId } from '../protocol/ids.js';
import { inputItems, withoutId } from '../protocol/items.js';
import type { ToolNames } from '../protocol/tools.js';
import type { ResponseInputItem, ResponseObject, ResponseOutputItem, ResponsesRequest } from '../protocol/types.js';
import { validateResponsesRequest } from '../protocol/validate-request.js';
import type { ResponseStore } from '../store/response-store.js';
import { translatedConversation } from './conversation.js';
import { parseUpstreamJson } from './native-request.js';

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
      const { conversation, translation, native } = await translatedConversation(request, store, http);
      if (conversation.items.length <= 1) throw new GatewayError('invalid_request', 'There is nothing to compact: give `input` or `previous_response_id`.', { param: 'input', code: 'missing_required_parameter' });
      const { request: chat, losses, toolNames } = translation;
      // The retained messages go back without the ids the store's form gave them: a compaction is not stored.
      return { operation: 'chat', request: chat, native, losses, advisory: ['reasoning_effort', 'user'], state: { request, retained: retainedUserMessages(conversation.items).map(withoutId), toolNames } };
    },
    renderJson(_ctx, answer, state) {
      const native = nativeOf(answer, 'openai-responses');
      const response = native ? upstreamResponse(native.data) : asCompaction(toResponse(answer as ChatCompletion, responseShell(state.request, newId('resp'), state.request.model), state.toolNames));
      const compaction = response?.output.find((item) => item.type === 'compaction');
      if (!response || !compaction) compactionFailed();
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
  const parsed = parseUpstreamJson(text) as ResponseObject | null;
  return Array.isArray(parsed?.output) ? parsed : undefined;
}
