/**
 * `streamGenerateContent?alt=sse` events as OpenAI chat completion chunks, one event at a time as
 * they arrive (nothing waits for the end of the stream).
 *
 * Each Gemini event is a whole GenerateContentResponse holding the next piece of each candidate:
 * text parts become `content` deltas, thought parts `reasoning_content` deltas, and each
 * functionCall part (Gemini sends a call whole, never in pieces) one `tool_calls` delta with its
 * index, id, name and complete arguments; a call to the function that carries a `response_format`
 * answer (answer-function.ts) is a `content` delta of its arguments instead. A candidate's first
 * delta carries `role: 'assistant'`; its finishReason becomes a final chunk of its own with an empty
 * delta, as OpenAI sends it. Gemini sends no `[DONE]`: the stream is complete when the body ends
 * after every candidate finished.
 *
 * A usage chunk (`choices: []`) always closes a complete stream, whatever `stream_options` said:
 * plugins (usage logs, token budgets) need the counts, and the OpenAI front-end drops that chunk
 * for a client that did not ask for it (core/http/chat-completions.ts).
 *
 * Failures, all naming the provider: a body that ends before every candidate finished is a
 * retryable `upstream_stream_truncated`; an event that is not JSON, `upstream_invalid_response`; an
 * `{error}` event, the error it describes (errors.ts); a prompt blocked at the first event, a 400
 * `content_filter`.
 *
 * Checked against https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 * and https://ai.google.dev/gemini-api/docs/text-generation#streaming-responses.
 */
import { type ChatCompletionChunk, type ChatDelta, GatewayError, type Usage } from 'llm-gateway/plugin';
import { separateAnswer } from './answer-function.js';
import { thoughtSignatureOf, withThoughtSignature } from './signatures.js';
import { geminiStreamError } from './errors.js';
import { completionId, finishReasonFromGemini, indexedCandidates, logprobsFromGemini, newToolCallId, nowSeconds, promptBlocked, readParts, usageFromGemini } from './from-gemini.js';
import type { GeminiResponse, GeminiUsageMetadata } from './wire.js';

interface CandidateState {
  started: boolean;
  finished: boolean;
  /** Tool calls seen so far: the next call's OpenAI index, and whether STOP means `tool_calls`. */
  toolCalls: number;
  /** Function calls seen so far, the answer function's included: what `oneToolCall` counts. */
  calls: number;
  /** A signature an answer call carried, for the client's first call if one comes (`separateAnswer`). */
  signature: string | undefined;
  /** The answer function's arguments went out as the content: nothing more is. */
  answered: boolean;
  /** Text not sent yet: it goes out unless the answer comes (`answerContent`). */
  held: string;
}

export interface StreamOptions {
  provider: string;
  /** The model asked for; used until an event names its `modelVersion`. */
  model: string;
  newToolCallId?: () => string;
  /** Each candidate keeps only its first function call (`FromGeminiOptions.oneToolCall`). */
  oneToolCall?: boolean;
  /** The function whose arguments are the answer (`FromGeminiOptions.answerFunction`). */
  answerFunction?: string;
}

/**
 * Turns decoded SSE events into chunks, yielding as each event arrives; through the adapter's
 * `translator` when it asks it for the usage so far (`GeminiStreamTranslator.usageSoFar`).
 */
export async function* translateGeminiStream(events: AsyncIterable<{ data: string }>, options: StreamOptions, translator = new GeminiStreamTranslator(options)): AsyncGenerator<ChatCompletionChunk> {
  for await (const event of events) {
    if (event.data.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.data);
    } catch {
      throw malformed(options.provider, 'the stream carried an event that is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed(options.provider, 'the stream carried an event that is not an object');
    if ('error' in parsed && parsed.error) throw geminiStreamError(options.provider, parsed);
    yield* translator.translate(parsed as GeminiResponse);
  }
  yield* translator.end();
}

/** The state of one streamed answer: which candidates started and finished, and the latest usage. */
export class GeminiStreamTranslator {
  private id: string | undefined;
  private model: string;
  private readonly created = nowSeconds();
  private readonly candidates = new Map<number, CandidateState>();
  private usage: GeminiUsageMetadata | undefined;
  private readonly newId: () => string;

  constructor(private readonly options: StreamOptions) {
    this.model = options.model;
    this.newId = options.newToolCallId ?? newToolCallId;
  }

  /**
   * The counts of the latest event that had any (`promptTokenCount` from the first event on, the
   * candidates' so far), before the closing usage chunk reports them: what a stream cut short is
   * billed for (`StreamResult.usageSoFar`).
   */
  usageSoFar(): Usage | undefined {
    return this.usage === undefined ? undefined : usageFromGemini(this.usage);
  }

  /** The chunks one event becomes (none for an event that only updates usage). */
  translate(event: GeminiResponse): ChatCompletionChunk[] {
    this.id ??= completionId(event.responseId);
    if (event.modelVersion) this.model = event.modelVersion;
    // Usage counts are cumulative: the latest event's are the answer's.
    if (event.usageMetadata) this.usage = event.usageMetadata;
    const candidates = indexedCandidates(event);
    if (candidates.length === 0 && event.promptFeedback?.blockReason) throw promptBlocked(this.options.provider, event.promptFeedback);

    const chunks: ChatCompletionChunk[] = [];
    for (const { index, candidate } of candidates) {
      const state = this.state(index);
      const { text, reasoning, toolCalls: calls } = readParts(candidate.content?.parts ?? [], this.newId);
      const kept = this.options.oneToolCall ? calls.slice(0, Math.max(0, 1 - state.calls)) : calls;
      state.calls += kept.length;
      const { answer, toolCalls, signature } = separateAnswer(kept, this.options.answerFunction);
      // An answer call's signature goes to the client's first call, which may come in a later event.
      if (state.toolCalls === 0) {
        state.signature ??= signature;
        if (state.signature !== undefined && toolCalls[0]) {
          if (thoughtSignatureOf(toolCalls[0]) === undefined) toolCalls[0] = withThoughtSignature(toolCalls[0], state.signature);
          state.signature = undefined;
        }
      }
      const delta: ChatDelta = {};
      if (reasoning !== '') delta.reasoning_content = reasoning;
      const content = this.options.answerFunction === undefined ? text : this.answerContent(state, text, answer, toolCalls.length > 0 || Boolean(candidate.finishReason));
      if (content !== '') delta.content = content;
      if (toolCalls.length > 0) {
        delta.tool_calls = toolCalls.map((call) => ({ index: state.toolCalls++, ...call }));
      }
      const logprobs = logprobsFromGemini(candidate.logprobsResult);
      if (Object.keys(delta).length > 0 || logprobs) chunks.push(this.chunk(index, state, delta, null, logprobs));

      const finish = finishReasonFromGemini(candidate.finishReason, state.toolCalls > 0);
      if (finish && !state.finished) {
        state.finished = true;
        chunks.push(this.chunk(index, state, {}, finish, null));
      }
    }
    return chunks;
  }

  /**
   * Called when the body ends: the closing usage chunk of a complete answer, or the error of a
   * stream cut before every candidate finished.
   */
  end(): ChatCompletionChunk[] {
    const states = [...this.candidates.values()];
    if (states.length === 0 || states.some((state) => !state.finished)) {
      throw new GatewayError('upstream', `${this.options.provider}: the stream ended before the answer was complete`, {
        provider: this.options.provider,
        code: 'upstream_stream_truncated',
        retryable: true,
      });
    }
    if (!this.usage) return [];
    return [this.base([], usageFromGemini(this.usage))];
  }

  /**
   * The content of a candidate that may answer through the answer function (answer-function.ts):
   * its one answer, whole, with nothing written beside it (that would make it no JSON). Text is held
   * until the candidate answers (then dropped), calls a client tool or finishes (then sent).
   */
  private answerContent(state: CandidateState, text: string, answer: string, textGoesOut: boolean): string {
    if (state.answered) return '';
    if (answer !== '') {
      state.answered = true;
      state.held = '';
      return answer;
    }
    state.held += text;
    if (!textGoesOut) return '';
    const held = state.held;
    state.held = '';
    return held;
  }

  private state(index: number): CandidateState {
    let state = this.candidates.get(index);
    if (!state) {
      state = { started: false, finished: false, toolCalls: 0, calls: 0, signature: undefined, answered: false, held: '' };
      this.candidates.set(index, state);
    }
    return state;
  }

  private chunk(index: number, state: CandidateState, delta: ChatDelta, finish: string | null, logprobs: unknown): ChatCompletionChunk {
    // A choice's first delta says who speaks, as OpenAI's first chunk does.
    const withRole: ChatDelta = state.started ? delta : { role: 'assistant', ...delta };
    state.started = true;
    return this.base([{ index, delta: withRole, finish_reason: finish, logprobs }], null);
  }

  private base(choices: ChatCompletionChunk['choices'], usage: Usage | null): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = { id: this.id ?? completionId(undefined), object: 'chat.completion.chunk', created: this.created, model: this.model, choices };
    if (usage) chunk.usage = usage;
    return chunk;
  }
}

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code: 'upstream_invalid_response', retryable: true });
}
