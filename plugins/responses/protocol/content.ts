/**
 * Responses content parts as chat content parts (`ResponseInputContent` and the output parts of
 * assistant messages, openai-node `src/resources/responses/responses.ts`):
 * - `input_text`, `output_text` → `text`; `refusal` → its text (what the model said);
 * - `input_image` with `image_url` (a URL or a data URL) → `image_url`;
 * - `input_file` with `file_data` (a data URL) or `file_id` → `file`;
 * - `input_audio` → `input_audio`.
 * A part chat has no word for (an image by file id, a file by URL, a type it does not know) is left
 * out and reported as a loss of kind `content`: the target's `unsupportedParams` policy decides.
 */
import type { ChatMessage, TranslationLoss } from 'llm-gateway/plugin';
import type { ResponseContentPart } from './types.js';

type ChatPart = Record<string, unknown>;

export function toChatParts(content: string | readonly ResponseContentPart[], at: string, losses: TranslationLoss[]): ChatPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: ChatPart[] = [];
  content.forEach((part, index) => {
    const translated = toChatPart(part);
    if (translated) parts.push(translated);
    else losses.push({ param: `${at}.${index}`, why: `content of type '${part.type}'${detailOf(part)} has no chat completions equivalent`, kind: 'content' });
  });
  return parts;
}

/** Only text can go in a system message. */
export function toSystemContent(content: string | readonly ResponseContentPart[], at: string, losses: TranslationLoss[]): ChatMessage['content'] {
  const parts = toChatParts(content, at, losses);
  const text = parts.filter((part) => part.type === 'text');
  if (text.length < parts.length) losses.push({ param: at, why: 'a system or developer message can only hold text in chat completions', kind: 'content' });
  return simplify(text);
}

/** A lone text stays a plain string, which every OpenAI-compatible server accepts. */
export function simplify(parts: readonly ChatPart[]): ChatMessage['content'] {
  if (parts.length === 0) return '';
  const only = parts[0];
  if (parts.length === 1 && only?.type === 'text') return String(only.text);
  return parts;
}

function toChatPart(part: ResponseContentPart): ChatPart | undefined {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return typeof part.text === 'string' ? { type: 'text', text: part.text } : undefined;
    case 'refusal':
      return typeof part.refusal === 'string' ? { type: 'text', text: part.refusal } : undefined;
    case 'input_image':
      if (typeof part.image_url !== 'string' || part.image_url === '') return undefined;
      return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail === 'low' || part.detail === 'high' ? { detail: part.detail } : {}) } };
    case 'input_file': {
      const file = typeof part.file_data === 'string' ? { file_data: part.file_data } : typeof part.file_id === 'string' ? { file_id: part.file_id } : undefined;
      return file ? { type: 'file', file: { ...file, ...(typeof part.filename === 'string' ? { filename: part.filename } : {}) } } : undefined;
    }
    case 'input_audio':
      return typeof part.input_audio === 'object' && part.input_audio !== null ? { type: 'input_audio', input_audio: part.input_audio } : undefined;
    default:
      return undefined;
  }
}

function detailOf(part: ResponseContentPart): string {
  if (part.type === 'input_image' && part.file_id) return ' by file_id';
  if (part.type === 'input_file' && part.file_url) return ' by file_url';
  return '';
}
