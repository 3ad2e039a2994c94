/**
 * OpenAI Responses API answers as the wire format has them (https://platform.openai.com/docs/api-reference/responses,
 * openai-node `src/resources/responses/responses.ts`: `Response`, `ResponseStreamEvent`): whole
 * responses and event streams (`event: <type>` and `data: <json>` with an increasing
 * `sequence_number`, no `[DONE]`), for the mock upstream and the adapters' tests.
 */

export interface ResponsesItemSpec {
  text?: string;
  reasoning?: string;
  call?: { callId: string; name: string; arguments: string };
}

export interface ResponsesSpec {
  id?: string;
  model?: string;
  usage?: { input_tokens: number; output_tokens: number; cached_tokens?: number; reasoning_tokens?: number };
  /** `incomplete` with reason `max_output_tokens`. Default `completed`. */
  status?: 'completed' | 'incomplete';
}

const DEFAULT_USAGE = { input_tokens: 11, output_tokens: 4 };

export function responsesObject(items: ResponsesItemSpec[], options: ResponsesSpec = {}): Record<string, unknown> {
  const usage = { ...DEFAULT_USAGE, ...options.usage };
  const incomplete = options.status === 'incomplete';
  return {
    id: options.id ?? 'resp_mock_0001',
    object: 'response',
    created_at: 1700000000,
    status: incomplete ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    model: options.model ?? 'gpt-mock',
    output: items.map((item, index) => outputItem(item, index)),
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: {
      input_tokens: usage.input_tokens,
      input_tokens_details: { cached_tokens: usage.cached_tokens ?? 0 },
      output_tokens: usage.output_tokens,
      output_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0 },
      total_tokens: usage.input_tokens + usage.output_tokens,
    },
  };
}

/** The events of a streamed response: created, in progress, each item opened, filled in pieces and closed, completed. */
export function responsesStreamEvents(items: ResponsesItemSpec[], options: ResponsesSpec = {}): string[] {
  const final = responsesObject(items, options);
  const shell = { ...final, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  let sequence = 0;
  const events: string[] = [];
  const emit = (type: string, fields: Record<string, unknown>) => events.push(responsesSseEvent({ type, ...fields, sequence_number: sequence++ }));
  emit('response.created', { response: shell });
  emit('response.in_progress', { response: shell });
  items.forEach((item, index) => {
    const done = outputItem(item, index);
    const id = String(done.id);
    if (item.call) {
      emit('response.output_item.added', { output_index: index, item: { ...done, arguments: '', status: 'in_progress' } });
      const half = Math.floor(item.call.arguments.length / 2);
      for (const piece of [item.call.arguments.slice(0, half), item.call.arguments.slice(half)]) emit('response.function_call_arguments.delta', { item_id: id, output_index: index, delta: piece });
      emit('response.function_call_arguments.done', { item_id: id, output_index: index, name: item.call.name, arguments: item.call.arguments });
    } else if (item.reasoning !== undefined) {
      emit('response.output_item.added', { output_index: index, item: { ...done, summary: [] } });
      const where = { item_id: id, output_index: index, summary_index: 0 };
      emit('response.reasoning_summary_part.added', { ...where, part: { type: 'summary_text', text: '' } });
      emit('response.reasoning_summary_text.delta', { ...where, delta: item.reasoning });
      emit('response.reasoning_summary_text.done', { ...where, text: item.reasoning });
      emit('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text: item.reasoning } });
    } else {
      emit('response.output_item.added', { output_index: index, item: { ...done, status: 'in_progress', content: [] } });
      const where = { item_id: id, output_index: index, content_index: 0 };
      emit('response.content_part.added', { ...where, part: { type: 'output_text', text: '', annotations: [] } });
      for (const word of (item.text ?? '').split(/(?<= )/)) emit('response.output_text.delta', { ...where, delta: word, logprobs: [] });
      emit('response.output_text.done', { ...where, text: item.text ?? '', logprobs: [] });
      emit('response.content_part.done', { ...where, part: { type: 'output_text', text: item.text ?? '', annotations: [] } });
    }
    emit('response.output_item.done', { output_index: index, item: done });
  });
  emit(options.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
  return events;
}

/** One event as OpenAI writes it: the event name, then the same type in the data. */
export function responsesSseEvent(data: Record<string, unknown>): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

function outputItem(item: ResponsesItemSpec, index: number): Record<string, unknown> {
  if (item.call) return { id: `fc_mock_${index}`, type: 'function_call', status: 'completed', call_id: item.call.callId, name: item.call.name, arguments: item.call.arguments };
  if (item.reasoning !== undefined) return { id: `rs_mock_${index}`, type: 'reasoning', summary: [{ type: 'summary_text', text: item.reasoning }] };
  return { id: `msg_mock_${index}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: item.text ?? '', annotations: [] }] };
}
