/**
 * OpenAI's legacy text completions as a mock upstream answers them (format: openai/openai-node
 * `src/resources/completions.ts`): a whole `text_completion`, or the same answer streamed as
 * `text_completion` chunks word by word, the finish on a last empty chunk, and usage on a chunk of
 * its own when `stream_options.include_usage` is set.
 *
 * The echo answers each prompt with "echo: <prompt>" (`n` times), the prompt in front with `echo`;
 * token prompts read as "<N tokens>".
 */
import type { Scenario } from './mock-upstream.js';

let sequence = 0;

/** A whole text completion with one choice per text. */
export function textCompletion(texts: string[], options: { model?: string; usage?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    id: `cmpl-mock-${++sequence}`,
    object: 'text_completion',
    created: 1700000000,
    model: options.model ?? 'mock-instruct',
    choices: texts.map((text, index) => ({ text, index, logprobs: null, finish_reason: 'stop' })),
    usage: options.usage ?? { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
  };
}

/** The same answer as stream chunks: word by word, then each choice's finish, then usage if asked. */
export function textCompletionChunks(texts: string[], options: { model?: string; usage?: boolean } = {}): Array<Record<string, unknown>> {
  const base = { id: `cmpl-mock-${++sequence}`, object: 'text_completion', created: 1700000000, model: options.model ?? 'mock-instruct' };
  const choice = (index: number, text: string, finish: string | null) => ({ text, index, logprobs: null, finish_reason: finish });
  const chunks: Array<Record<string, unknown>> = [];
  texts.forEach((text, index) => {
    for (const word of text.split(/(?<= )/)) chunks.push({ ...base, choices: [choice(index, word, null)] });
  });
  texts.forEach((_, index) => chunks.push({ ...base, choices: [choice(index, '', 'stop')] }));
  if (options.usage) {
    const words = texts.reduce((sum, text) => sum + text.split(' ').length, 0);
    chunks.push({ ...base, choices: [], usage: { prompt_tokens: 4, completion_tokens: words, total_tokens: 4 + words } });
  }
  return chunks;
}

/** What the mock's `POST /v1/completions` answers by default. */
export function textCompletionEchoScenario(body: Record<string, unknown> | undefined): Scenario {
  const prompts = promptsOf(body?.prompt);
  const n = typeof body?.n === 'number' && body.n > 0 ? body.n : 1;
  const texts = prompts.flatMap((prompt) => Array.from({ length: n }, () => `${body?.echo === true ? prompt : ''}echo: ${prompt}`));
  const model = typeof body?.model === 'string' ? body.model : undefined;
  if (body?.stream === true) {
    const usage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    return { stream: { chunks: textCompletionChunks(texts, { ...(model ? { model } : {}), usage }) } };
  }
  return { body: textCompletion(texts, model ? { model } : {}) };
}

function promptsOf(prompt: unknown): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (!Array.isArray(prompt) || prompt.length === 0) return [''];
  if (prompt.every((p) => typeof p === 'string')) return prompt as string[];
  if (prompt.every((p) => typeof p === 'number')) return [`<${prompt.length} tokens>`];
  return prompt.map((p) => `<${Array.isArray(p) ? p.length : 0} tokens>`);
}
