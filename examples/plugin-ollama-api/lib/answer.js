// @ts-check
/**
 * The pipeline's answer in Ollama's terms, shared by `/api/chat` and `/api/generate`: the metrics
 * of the last object, the done reason, tool calls with their arguments as objects, and the
 * newline-delimited JSON of a streamed answer (docs/api.md, "Streaming responses"; server/routes.go
 * `streamResponse`: one JSON object a line, `application/x-ndjson`).
 *
 * A streamed answer is a line per piece of content or thinking as it arrives; tool calls are
 * collected and sent whole on one line when the model has finished calling (Ollama sends a call
 * whole, never in pieces); the last line says `done: true` with the reason and the metrics. A
 * failure after the first line ends the stream with `{"error": "..."}` on a line of its own, as
 * Ollama does, so a cut answer never looks complete.
 */
import { GatewayError, StreamedToolCalls, clientGone, toGatewayError } from 'llm-gateway/plugin';
import { renderOllamaError } from './errors.js';

/** @typedef {import('llm-gateway/plugin').GatewayContext} GatewayContext */
/** @typedef {import('llm-gateway/plugin').ChatCompletionChunk} ChatCompletionChunk */
/** @typedef {import('llm-gateway/plugin').ToolCall} ToolCall */
/** @typedef {import('llm-gateway/plugin').Usage} Usage */
/** @typedef {import('./wire.js').OllamaMetrics} OllamaMetrics */
/** @typedef {import('./wire.js').OllamaToolCall} OllamaToolCall */

/**
 * @typedef {object} Piece What one line of a streamed answer says.
 * @property {string} [content]
 * @property {string} [thinking]
 * @property {OllamaToolCall[]} [toolCalls]
 */

/**
 * @typedef {object} StreamShape How an API writes a streamed answer's lines.
 * @property {(piece: Piece) => object} part A line with a piece of the answer (`done: false`).
 * @property {(doneReason: string, metrics: OllamaMetrics) => object} last The closing line.
 */

/**
 * Ollama's `done_reason`: `length` when the token limit cut the answer, `stop` otherwise (Ollama
 * says `stop` after tool calls too).
 * @param {string | null | undefined} finish
 */
export function doneReason(finish) {
  return finish === 'length' ? 'length' : 'stop';
}

/**
 * The last object's timings (nanoseconds) and token counts. Time to the first token stands for the
 * prompt's evaluation, the rest for the answer's; nothing is loaded, so `load_duration` is 0.
 * @param {GatewayContext} ctx
 * @param {Usage | undefined} usage
 * @returns {OllamaMetrics}
 */
export function metricsOf(ctx, usage) {
  const total = ctx.elapsed();
  const first = Math.min(ctx.timings.firstByteMs ?? total, total);
  const ns = (/** @type {number} */ ms) => Math.max(1, Math.round(ms * 1e6));
  return {
    total_duration: ns(total),
    load_duration: 0,
    prompt_eval_count: usage?.prompt_tokens ?? 0,
    prompt_eval_duration: ns(first),
    eval_count: usage?.completion_tokens ?? 0,
    eval_duration: ns(total - first),
  };
}

/**
 * OpenAI tool calls (arguments as JSON text) as Ollama's (arguments as an object).
 * @param {ReadonlyArray<Pick<ToolCall, 'id' | 'function'>>} calls
 * @returns {OllamaToolCall[]}
 */
export function toOllamaToolCalls(calls) {
  return calls.map((call, index) => ({ id: call.id, function: { index, name: call.function.name, arguments: argumentsObject(call.function.arguments, call.function.name) } }));
}

/**
 * @param {string} text
 * @param {string} name
 * @returns {Record<string, unknown>}
 */
function argumentsObject(text, name) {
  let parsed;
  try {
    parsed = JSON.parse(text === '' ? '{}' : text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    // Ollama's clients take arguments as an object: text that is not one cannot be passed on.
    throw new GatewayError('upstream', `The model called '${name}' with arguments that are not a JSON object.`, { code: 'upstream_invalid_response', retryable: true });
  }
  return /** @type {Record<string, unknown>} */ (parsed);
}

/**
 * A streamed answer as newline-delimited JSON, in the shape the API gives.
 * @param {GatewayContext} ctx
 * @param {AsyncIterable<ChatCompletionChunk>} chunks
 * @param {StreamShape} shape
 * @returns {AsyncGenerator<string>}
 */
export async function* ndjsonAnswer(ctx, chunks, shape) {
  const line = (/** @type {object} */ value) => `${JSON.stringify(value)}\n`;
  /** @type {Map<number, { id: string; name: string; arguments: string }>} */
  const calls = new Map();
  const callNumbers = new StreamedToolCalls();
  /** @type {string | null} */
  let finish = null;
  /** @type {Usage | undefined} */
  let usage;
  const flushCalls = () => {
    if (calls.size === 0) return undefined;
    const whole = [...calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({ id: call.id || `call_${index}`, function: { name: call.name, arguments: call.arguments } }));
    calls.clear();
    return line(shape.part({ toolCalls: toOllamaToolCalls(whole) }));
  };
  try {
    for await (const chunk of chunks) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      // Azure's filter annotations carry a choice without a delta.
      const { content, reasoning_content: thinking, tool_calls: deltas } = choice.delta ?? {};
      if (typeof thinking === 'string' && thinking !== '') yield line(shape.part({ thinking }));
      if (typeof content === 'string' && content !== '') yield line(shape.part({ content }));
      for (const delta of deltas ?? []) {
        // Numbered by the call it belongs to, not by `index`, which some hosts leave out (Gemini) or give every call as 0 (Ollama).
        const number = callNumbers.callOf(delta);
        const call = calls.get(number) ?? { id: '', name: '', arguments: '' };
        call.id ||= delta.id ?? '';
        call.name += delta.function?.name ?? '';
        call.arguments += delta.function?.arguments ?? '';
        calls.set(number, call);
      }
      if (choice.finish_reason) {
        finish = choice.finish_reason;
        const whole = flushCalls();
        if (whole) yield whole;
      }
    }
    const rest = flushCalls();
    if (rest) yield rest;
    usage ??= ctx.usage;
    yield line(shape.last(doneReason(finish), metricsOf(ctx, usage)));
  } catch (cause) {
    if (clientGone(ctx)) return;
    const error = toGatewayError(cause);
    ctx.error = error;
    yield line(renderOllamaError(error));
  }
}
