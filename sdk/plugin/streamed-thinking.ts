/**
 * Thinking blocks as a stream of chunks carries them: a block's text comes as `reasoning_content`
 * deltas, then its signature as a block of no text (the Anthropic adapter writes each
 * `signature_delta` so). Whole, the block holds both: sent back with its text empty, its signature
 * signs nothing and Anthropic refuses the next turn. For whoever assembles a stream (the cache, the
 * Responses front-end).
 */
import type { ThinkingBlock } from '../../core/protocol/openai.js';

export class StreamedThinking {
  private text = '';

  /** A `reasoning_content` delta: text of the block being streamed. */
  reasoning(text: string): void {
    this.text += text;
  }

  /** A delta's `thinking_blocks`, a signature's block given the text streamed before it. */
  blocks(blocks: readonly ThinkingBlock[]): ThinkingBlock[] {
    const text = this.text;
    if (blocks.some((block) => block.type === 'thinking')) this.text = '';
    if (text === '') return [...blocks];
    return blocks.map((block) => (block.type === 'thinking' && block.thinking === '' ? { ...block, thinking: text } : block));
  }
}
