/**
 * The small tables both directions share: stop reasons and token usage. Anthropic counts cached
 * prompt tokens apart from `input_tokens`; OpenAI counts them inside `prompt_tokens`. Converting
 * through these two functions is what keeps cached tokens from being missed or counted twice.
 */
import type { Usage } from 'llm-gateway/plugin';
import type { AnthropicStopReason, AnthropicUsage } from './types.js';

export function finishReasonFromAnthropic(stopReason: string | null | undefined): string | null {
  switch (stopReason) {
    case undefined:
    case null:
      return null;
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** What the choice keeps of a stop reason OpenAI's terms have no word for (see `nativeFinish`). */
export interface NativeFinish {
  native_finish_reason?: 'pause_turn' | 'stop_sequence' | 'model_context_window_exceeded';
  /** With `stop_sequence`: which of the request's stop sequences ended the answer. */
  stop_sequence?: string;
}

/**
 * The stop reason OpenAI's terms have no word for, beside the finish reason that stands in for it
 * (`native_finish_reason`, as OpenRouter names it), so that whatever renders the choice in
 * Anthropic's terms again (a cache hit, a translated answer) says what Anthropic said:
 * `pause_turn` reads as `stop`, yet the turn is not over, so a cache must not keep it and a client
 * in Anthropic's terms must hear it; `stop_sequence` reads as `stop` too, and keeps the sequence
 * that matched (`stop_sequence` on the choice); `model_context_window_exceeded` reads as `length`.
 */
export function nativeFinish(stopReason: string | null | undefined, stopSequence?: string | null): NativeFinish {
  switch (stopReason) {
    case 'pause_turn':
    case 'model_context_window_exceeded':
      return { native_finish_reason: stopReason };
    case 'stop_sequence':
      return typeof stopSequence === 'string' ? { native_finish_reason: stopReason, stop_sequence: stopSequence } : { native_finish_reason: stopReason };
    default:
      return {};
  }
}

/**
 * The stop reason and matched stop sequence to tell a client in Anthropic's terms: the finish
 * reason's (`stopReasonFromOpenAI`), or the native one the choice kept (`nativeFinish`) when it is
 * what that finish reason stands for: a finish reason a plugin changed since is not contradicted.
 */
export function anthropicStop(finishReason: string | null | undefined, calledTools: boolean, native: unknown, stopSequence: unknown): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  const stop_reason = stopReasonFromOpenAI(finishReason, calledTools);
  if (stop_reason === 'end_turn' && native === 'stop_sequence') return { stop_reason: native, stop_sequence: typeof stopSequence === 'string' ? stopSequence : null };
  if (stop_reason === 'end_turn' && native === 'pause_turn') return { stop_reason: native, stop_sequence: null };
  if (stop_reason === 'max_tokens' && native === 'model_context_window_exceeded') return { stop_reason: native, stop_sequence: null };
  return { stop_reason, stop_sequence: null };
}

/**
 * `calledTools`: the answer holds tool calls. A turn that called tools stopped to have them run
 * (`tool_use`, which agents such as Cline wait for to go on), whatever a host that says `stop`
 * after a forced call (OpenAI for a named tool_choice, older Ollama, vLLM) calls it; a cut stays a cut.
 */
export function stopReasonFromOpenAI(finishReason: string | null | undefined, calledTools = false): AnthropicStopReason {
  if (calledTools && finishReason !== 'length' && finishReason !== 'content_filter') return 'tool_use';
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function usageFromAnthropic(usage: Partial<AnthropicUsage>): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completion = usage.output_tokens ?? 0;
  const result: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  // Thinking is part of output_tokens already; the detail says how much of it was reasoning.
  // Web searches are billed per search on top of their tokens (plugins/cost): kept in Anthropic's words.
  const searches = (usage as { server_tool_use?: { web_search_requests?: unknown } }).server_tool_use?.web_search_requests;
  if (typeof searches === 'number' && searches > 0) result.server_tool_use = { web_search_requests: searches };
  // Where it ran: US-only inference costs more on newer models (plugins/cost `usInference`).
  if (typeof usage.inference_geo === 'string' && usage.inference_geo !== '') result.inference_geo = usage.inference_geo;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  if (typeof thinking === 'number' && thinking > 0) result.completion_tokens_details = { reasoning_tokens: thinking };
  if (cacheRead > 0 || cacheWrite > 0) {
    // A 1-hour write costs 2× input against 1.25× for the default 5 minutes: cost needs the split.
    const hour = usage.cache_creation?.ephemeral_1h_input_tokens;
    const writtenForAnHour = typeof hour === 'number' && hour > 0 ? Math.min(cacheWrite, hour) : 0;
    result.prompt_tokens_details = {
      cached_tokens: cacheRead,
      ...(cacheWrite > 0 ? { cache_write_tokens: cacheWrite } : {}),
      ...(writtenForAnHour > 0 ? { cache_write_1h_tokens: writtenForAnHour } : {}),
    };
    // LiteLLM's top-level names for the same counts, which Roo Code and other clients written
    // against it read from an OpenAI-format answer (they say what prompt_tokens_details says).
    result.cache_read_input_tokens = cacheRead;
    if (cacheWrite > 0) result.cache_creation_input_tokens = cacheWrite;
  }
  return result;
}

export function usageToAnthropic(usage: Usage | null | undefined): AnthropicUsage {
  if (!usage) return { input_tokens: 0, output_tokens: 0 };
  const cacheRead = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const writtenForAnHour = Math.min(cacheWrite, usage.prompt_tokens_details?.cache_write_1h_tokens ?? 0);
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    input_tokens: Math.max(0, usage.prompt_tokens - cacheRead - cacheWrite),
    output_tokens: usage.completion_tokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    ...(writtenForAnHour > 0 ? { cache_creation: { ephemeral_5m_input_tokens: cacheWrite - writtenForAnHour, ephemeral_1h_input_tokens: writtenForAnHour } } : {}),
    ...(reasoning ? { output_tokens_details: { thinking_tokens: reasoning } } : {}),
  };
}
