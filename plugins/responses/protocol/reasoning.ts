/**
 * Reasoning items carry a provider's thinking across turns. Anthropic needs its thinking blocks
 * back verbatim, signatures included, on the next turn of a tool-use conversation; a Responses
 * client keeps a reasoning item's `encrypted_content` and sends it back as it got it (Codex does,
 * with `include: ['reasoning.encrypted_content']`). So the gateway puts the signed blocks there,
 * marked as its own. They are not encrypted: the provider's signature is what protects them, as on
 * Anthropic's own API. OpenAI's own opaque `encrypted_content` is not the gateway's and is left alone.
 */
import type { ThinkingBlock } from 'llm-gateway/plugin';

const PREFIX = 'llm-gateway.thinking.v1:';

export function encodeThinking(blocks: readonly ThinkingBlock[]): string {
  return PREFIX + Buffer.from(JSON.stringify(blocks), 'utf8').toString('base64url');
}

/** The thinking blocks the gateway put in an `encrypted_content`; undefined for anything else. */
export function decodeThinking(encrypted: unknown): ThinkingBlock[] | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(PREFIX)) return undefined;
  let blocks: unknown;
  try {
    blocks = JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(blocks) || !blocks.every(isThinkingBlock)) return undefined;
  return blocks;
}

/** True for a reasoning item the gateway made (a provider's thinking), which only the gateway can read. */
export function isGatewayReasoning(encrypted: unknown): boolean {
  return typeof encrypted === 'string' && encrypted.startsWith(PREFIX);
}

function isThinkingBlock(value: unknown): value is ThinkingBlock {
  if (typeof value !== 'object' || value === null) return false;
  const block = value as Record<string, unknown>;
  if (block.type === 'thinking') return typeof block.thinking === 'string' && (block.signature === undefined || typeof block.signature === 'string');
  return block.type === 'redacted_thinking' && typeof block.data === 'string';
}
