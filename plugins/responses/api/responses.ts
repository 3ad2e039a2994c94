/**
 * `POST /v1/responses`: OpenAI's Responses API (what Codex CLI and the Vercel AI SDK's OpenAI
 * provider speak), for every provider.
 *
 * On the way in, the conversation is loaded (a previous response, item references) and translated
 * to an OpenAI chat request, which plugins read and non-native adapters send; the client's own body
 * rides along (its `input` expanded when it named something only the gateway knows), and an
 * upstream that speaks the Responses API receives it as written, answering with its own bytes.
 * On the way out, the answer becomes a Response (or its event stream), is kept in the store unless
 * the request said `store: false`, and is sent; the store write happens before the client can see
 * the response's id (before a whole answer is sent, before a stream's last event), so a follow-up
 * naming it always finds it. A request whose input ends with a `compaction_trigger` is answered, for
 * a provider other than OpenAI, with one `compaction` item holding the model's summary (see
 * protocol/compaction.ts); its stream sends only `response.created` and `response.in_progress`
 * until that item is whole.
 */
import {
  chunksUnchanged,
  clientGone,
  invalidRequest,
  defineFrontEnd,
  nativeOf,
  toGatewayError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type FrontEnd,
  type GatewayContext,
  type NativeEvent,
} from 'llm-gateway/plugin';
import { asCompaction, compactionFailed } from '../protocol/compaction.js';
import { forClient, responseShell, toResponse } from '../protocol/from-chat-response.js';
import { newId } from '../protocol/ids.js';
import { ResponseEventWriter } from '../protocol/stream-writer.js';
import type { ToolNames } from '../protocol/tools.js';
import type { ResponseInputItem, ResponseObject, ResponsesRequest, ResponseStreamEvent } from '../protocol/types.js';
import { validateResponsesRequest } from '../protocol/validate-request.js';
import type { ResponseStore, StoredResponse } from '../store/response-store.js';
import { translatedConversation } from './conversation.js';
import { parseUpstreamJson, withPreviousResponseId } from './native-request.js';

/** What the front-end remembers of a request until its answer is written. */
interface ResponsesState {
  readonly request: ResponsesRequest;
  readonly owner: string | null;
  readonly items: readonly ResponseInputItem[];
  readonly turnStart: number;
  /** The stored response this one continues, when it may be kept as a link to it. */
  readonly follows: StoredResponse | undefined;
  readonly toolNames: ToolNames;
  /** The input ended with a `compaction_trigger` (see protocol/compaction.ts). */
  readonly compacting: boolean;
}

export function responsesApi(store: ResponseStore): FrontEnd<ResponsesState> {
  const save = async (state: ResponsesState, response: ResponseObject): Promise<void> => {
    if (state.request.store === false || typeof response?.id !== 'string' || !Array.isArray(response.output)) return;
    // Never a snapshot of an answer still running: a follow-up or a retrieve would take it as the whole.
    if (response.status === 'queued' || response.status === 'in_progress') return;
    await store.save({ owner: state.owner, response, input: state.items, turnStart: state.turnStart, follows: state.follows });
  };

  return defineFrontEnd<ResponsesState>({
    endpoint: 'responses',
    paths: ['/v1/responses'],
    async parse(body, http) {
      const request = validateResponsesRequest(body);
      // A background response is polled and cancelled at the provider that runs it, which the
      // gateway neither tracks nor asks: refused for every target, rather than a queued snapshot for ever.
      if (request.background === true) throw invalidRequest('Background responses (background: true) are not supported by this gateway; send the request without background (streaming, if it runs long).', 'background', 'unsupported_parameter');
      const { owner, conversation, translation, native } = await translatedConversation(request, store, http);
      const { request: chat, losses, toolNames, compacting } = translation;
      const state: ResponsesState = { request, owner, items: conversation.items, turnStart: conversation.turnStart, follows: conversation.follows, toolNames, compacting };
      // Reasoning effort and the caller's id carry no content: a chat model that refuses them gets the request without.
      return { operation: 'chat', request: chat, native, losses, advisory: ['reasoning_effort', 'user'], state };
    },
    async renderJson(_ctx, answer, state) {
      const native = nativeOf(answer, 'openai-responses');
      if (native) {
        const answer = withPreviousResponseId(native.data, state.request.previous_response_id, false);
        await save(state, answer.parsed as ResponseObject);
        // The upstream's own bytes, as it sent them (the kernel sends text as JSON), the previous response named.
        return answer.text;
      }
      const translated = toResponse(answer as ChatCompletion, responseShell(state.request, newId('resp'), state.request.model), state.toolNames);
      const response = state.compacting ? (asCompaction(translated) ?? compactionFailed()) : translated;
      await save(state, response);
      return forClient(response, state.request.include);
    },
    renderStream: (ctx, chunks, state) => responseEvents(ctx, chunks, state, save),
  });
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/**
 * The event stream. If the upstream spoke the Responses API (its first chunk says so) and no plugin
 * mapped the stream, its events are replayed byte for byte; otherwise each chunk is translated as
 * it arrives, from the first. Either way the finished response is stored before its last event
 * goes out. A failure mid-way ends the stream with `response.failed`, never leaving the client
 * waiting; there is no `[DONE]` in this API.
 */
async function* responseEvents(
  ctx: GatewayContext,
  chunks: AsyncIterable<ChatCompletionChunk>,
  state: ResponsesState,
  save: (state: ResponsesState, response: ResponseObject) => Promise<void>,
): AsyncGenerator<string> {
  let writer: ResponseEventWriter | undefined;
  // Decided once: the upstream's events would replay what a plugin's map replaced, and its closing
  // ones (`response.output_text.done`, `response.completed`…) repeat the whole text.
  let passThrough = chunksUnchanged(chunks) ? undefined : false;
  /** Pass-through: the upstream's response as it last described it, and how many events went out. */
  let upstreamResponse: ResponseObject | undefined;
  let replayed = 0;
  let ended = false;
  /** The response as `response.created` describes it, when the gateway writes the events. */
  let shell: ResponseObject | undefined;
  const shellOf = () => (shell ??= responseShell(state.request, newId('resp'), state.request.model));
  try {
    for await (const chunk of chunks) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      const native: NativeEvent | undefined = passThrough === false ? undefined : nativeOf(chunk, 'openai-responses');
      passThrough ??= native !== undefined;
      if (passThrough) {
        if (!native) continue;
        let data = native.data;
        const described = native.event === 'response.created' || TERMINAL.has(native.event) || (native.event === 'response.in_progress' && typeof state.request.previous_response_id === 'string');
        if (described) {
          const event = withPreviousResponseId(native.data, state.request.previous_response_id, true);
          data = event.text;
          if (native.event !== 'response.in_progress') upstreamResponse = (event.parsed as { response?: ResponseObject } | undefined)?.response ?? upstreamResponse;
          if (native.event === 'response.completed' || native.event === 'response.incomplete') await save(state, upstreamResponse as ResponseObject);
        }
        ended ||= TERMINAL.has(native.event);
        replayed++;
        yield `event: ${native.event}\ndata: ${data}\n\n`;
        continue;
      }
      if (!writer) {
        writer = newWriter(state, shellOf());
        yield* writer.start().map(encode);
      }
      const events = writer.write(chunk);
      // A compaction's text is its item's, which goes out whole at the end.
      if (!state.compacting) yield* events.map(encode);
    }
    if (passThrough) return;
    if (!writer) {
      writer = newWriter(state, shellOf());
      yield* writer.start().map(encode);
    }
    const events = writer.finish();
    if (state.compacting) {
      const compacted = asCompaction(writer.response as ResponseObject) ?? compactionFailed();
      await save(state, compacted);
      // Numbered on from response.created and response.in_progress, the only events sent before.
      yield* compactionEvents(compacted, 2).map(encode);
      return;
    }
    yield* events.slice(0, -1).map(encode);
    await save(state, writer.response as ResponseObject);
    yield encode(events.at(-1) as ResponseStreamEvent);
  } catch (cause) {
    if (clientGone(ctx)) return;
    const error = toGatewayError(cause);
    ctx.error = error;
    if (ended) return; // the upstream already said how it ended
    const failure = { code: error.kind === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error', message: error.message };
    // A compaction sent nothing after response.in_progress: its failure holds no output either.
    if (writer && state.compacting) yield encode(failedEvent(shellOf(), failure, 2));
    else if (writer) yield encode(writer.fail(failure));
    else yield encode(failedEvent(upstreamResponse ?? shellOf(), failure, replayed));
  }
}

function newWriter(state: ResponsesState, shell: ResponseObject): ResponseEventWriter {
  return new ResponseEventWriter(shell, state.toolNames, state.request.include);
}

/** A compaction's one item, added and done, then the response completed: numbered on from `sequence`. */
function compactionEvents(response: ResponseObject, sequence: number): ResponseStreamEvent[] {
  const item = response.output[0];
  return [
    { type: 'response.output_item.added', output_index: 0, item, sequence_number: sequence },
    { type: 'response.output_item.done', output_index: 0, item, sequence_number: sequence + 1 },
    { type: 'response.completed', response, sequence_number: sequence + 2 },
  ];
}

function failedEvent(response: ResponseObject, error: { code: string; message: string }, sequence: number): ResponseStreamEvent {
  return { type: 'response.failed', response: { ...response, status: 'failed', error }, sequence_number: sequence };
}

function encode(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
