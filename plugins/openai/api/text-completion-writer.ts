/**
 * A chat answer written as OpenAI's legacy text completion (openai/openai-node
 * `src/resources/completions.ts`: `Completion`, `CompletionChoice`), whole or chunk by chunk, for
 * `/v1/completions` requests a chat provider answered. Each choice's text is the assistant's
 * content (after the prompt, with `echo`); `logprobs` are a text completion's own (a host that
 * served `/completions`, its answer given again by the cache) or null: chat's are not translated.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatMessage } from 'llm-gateway/plugin';
import type { CompletionFinishReason, TextCompletion, TextCompletionChoice } from '../completions-wire.js';

export function toTextCompletion(completion: ChatCompletion, echo: string): TextCompletion {
  return {
    id: completionId(completion.id),
    object: 'text_completion',
    created: completion.created,
    model: completion.model,
    choices: completion.choices.map((choice) => ({
      text: echo + textOf(choice.message.content),
      index: choice.index,
      logprobs: textLogprobs(choice.logprobs),
      finish_reason: finishReason(choice.finish_reason) ?? 'stop',
    })),
    ...fingerprint(completion),
    ...(completion.usage ? { usage: completion.usage } : {}),
  };
}

/** Writes chat chunks as text completion chunks; the prompt leads each choice with `echo`. */
export class TextCompletionChunks {
  private readonly echoed = new Set<number>();

  constructor(
    private readonly echo: string,
    private readonly includeUsage: boolean,
  ) {}

  /** The text completion chunk for this chat chunk, or nothing when it adds nothing the client sees. */
  write(chunk: ChatCompletionChunk): TextCompletion | undefined {
    const choices: TextCompletionChoice[] = [];
    for (const choice of chunk.choices) {
      let text = textOf(choice.delta?.content); // Azure's filter annotations carry no delta
      if (this.echo && !this.echoed.has(choice.index)) {
        this.echoed.add(choice.index);
        text = this.echo + text;
      }
      const finish = finishReason(choice.finish_reason);
      if (text !== '' || finish) choices.push({ text, index: choice.index, logprobs: textLogprobs(choice.logprobs), finish_reason: finish });
    }
    // Adapters may report usage the client did not ask for (the gateway asks for it): it gets what it asked for.
    const usage = this.includeUsage ? chunk.usage : undefined;
    if (choices.length === 0 && !usage) return undefined;
    return {
      id: completionId(chunk.id),
      object: 'text_completion',
      created: chunk.created,
      model: chunk.model,
      choices,
      ...fingerprint(chunk),
      ...(usage ? { usage } : {}),
    };
  }
}

/** `chatcmpl-abc` → `cmpl-abc`: text completion ids start with `cmpl-`. */
function completionId(id: string): string {
  return `cmpl-${id.replace(/^chatcmpl-/, '')}`;
}

/** Text completions stop for a stop, the length limit or the content filter; chat's other reasons (tool calls) are stops. */
function finishReason(reason: string | null | undefined): CompletionFinishReason | null {
  if (reason === null || reason === undefined) return null;
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

function fingerprint(answer: ChatCompletion | ChatCompletionChunk): { system_fingerprint?: string } {
  return typeof answer.system_fingerprint === 'string' ? { system_fingerprint: answer.system_fingerprint } : {};
}

/** A text completion's logprobs (`tokens`, `token_logprobs`, ...), or null for any other shape (chat's `content`). */
function textLogprobs(logprobs: unknown): TextCompletionChoice['logprobs'] {
  return typeof logprobs === 'object' && logprobs !== null && Array.isArray((logprobs as { tokens?: unknown }).tokens) ? (logprobs as TextCompletionChoice['logprobs']) : null;
}
