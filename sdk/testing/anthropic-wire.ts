/**
 * Anthropic Messages API answers as the documented wire format has them
 * (https://docs.claude.com/en/docs/build-with-claude/streaming, .../api/messages): whole messages
 * and streams of named events, for the mock upstream and the adapter's tests.
 */

export interface AnthropicBlockSpec {
  text?: string;
  thinking?: { text: string; signature: string };
  toolUse?: { id: string; name: string; input: Record<string, unknown> };
}

export interface AnthropicUsageSpec {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** cache_creation_input_tokens by the lifetime of the entries written. */
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

const DEFAULT_USAGE: AnthropicUsageSpec = { input_tokens: 12, output_tokens: 6 };

export function anthropicMessage(blocks: AnthropicBlockSpec[], options: { model?: string; stopReason?: string; usage?: AnthropicUsageSpec; id?: string } = {}): Record<string, unknown> {
  return {
    id: options.id ?? 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: options.model ?? 'claude-test',
    content: blocks.map((block) => {
      if (block.thinking) return { type: 'thinking', thinking: block.thinking.text, signature: block.thinking.signature };
      if (block.toolUse) return { type: 'tool_use', ...block.toolUse };
      return { type: 'text', text: block.text ?? '' };
    }),
    stop_reason: options.stopReason ?? (blocks.some((b) => b.toolUse) ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...(options.usage ?? DEFAULT_USAGE) },
  };
}

/** One SSE event as Anthropic writes it: the event name, then the same type in the data. */
export function sseEvent(data: Record<string, unknown>): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The events of a streamed message: message_start, a ping, each block started, filled in pieces
 * (text word by word, tool input JSON in two halves) and stopped, message_delta, message_stop.
 */
export function anthropicStreamEvents(blocks: AnthropicBlockSpec[], options: { model?: string; stopReason?: string; usage?: AnthropicUsageSpec } = {}): string[] {
  const usage = { ...DEFAULT_USAGE, ...options.usage };
  const message = anthropicMessage([], { ...options, usage: { ...usage, output_tokens: 1 } });
  const events = [sseEvent({ type: 'message_start', message: { ...message, stop_reason: null } }), sseEvent({ type: 'ping' })];
  blocks.forEach((block, index) => {
    if (block.thinking) {
      events.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      events.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking.text } }));
      events.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.thinking.signature } }));
    } else if (block.toolUse) {
      events.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.toolUse.id, name: block.toolUse.name, input: {} } }));
      const json = JSON.stringify(block.toolUse.input);
      const half = Math.floor(json.length / 2);
      for (const part of [json.slice(0, half), json.slice(half)]) {
        events.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }));
      }
    } else {
      events.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      for (const word of (block.text ?? '').split(/(?<= )/)) {
        events.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: word } }));
      }
    }
    events.push(sseEvent({ type: 'content_block_stop', index }));
  });
  const stopReason = options.stopReason ?? (blocks.some((b) => b.toolUse) ? 'tool_use' : 'end_turn');
  events.push(sseEvent({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  events.push(sseEvent({ type: 'message_stop' }));
  return events;
}

export function anthropicError(type: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
}
