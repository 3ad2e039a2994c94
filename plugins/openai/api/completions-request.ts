/**
 * Reads a `/v1/completions` body (format: openai/openai-node `src/resources/completions.ts`,
 * `CompletionCreateParamsBase`). Only the shapes the gateway reads are checked, never more strictly
 * than OpenAI's API does; unknown fields pass through.
 *
 * Its chat view, what plugins read and chat-only providers answer, is the prompt as one user
 * message with the sampling parameters both APIs share. What chat cannot express is listed as
 * losses, for the target's `unsupportedParams` policy to refuse or drop when the chat view is what
 * goes up; a host that serves `/completions` gets the client's body and loses nothing.
 */
import { type ChatCompletionRequest, type TranslationLoss, rejectBody, requestValidatorFor } from 'llm-gateway/plugin';
import type { CompletionPrompt, CompletionRequest } from '../completions-wire.js';

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

const check = requestValidatorFor({
  type: 'object',
  // OpenAI requires `prompt` too, but takes null for it (the start of a new document).
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: nullable({
      anyOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' } },
        { type: 'array', items: { type: 'integer' } },
        { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
      ],
    }),
    suffix: nullable({ type: 'string' }),
    echo: nullable({ type: 'boolean' }),
    best_of: nullable({ type: 'integer' }),
    logprobs: nullable({ type: 'integer' }),
    n: nullable({ type: 'integer' }),
    max_tokens: nullable({ type: 'integer' }),
    stop: nullable({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }),
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_usage: nullable({ type: 'boolean' }) } }),
  },
});

/** Fields only text completions have; everything else means the same in chat and is carried over. */
const COMPLETIONS_ONLY = ['prompt', 'suffix', 'echo', 'best_of', 'logprobs'] as const;

export interface ReadCompletionsRequest {
  body: CompletionRequest;
  /** The chat view (see above). */
  request: ChatCompletionRequest;
  losses: TranslationLoss[];
  /** With `echo`, the prompt text each answer starts with when it comes from chat. */
  echo: string;
}

export function readCompletionsRequest(raw: Record<string, unknown>): ReadCompletionsRequest {
  if (!check(raw)) throw rejectBody(check, raw, 'a text completion request');
  const body = raw as CompletionRequest;
  const prompt = readPrompt(body.prompt);
  const losses = lossesOf(body, prompt);

  const shared: Record<string, unknown> = { ...body };
  for (const field of COMPLETIONS_ONLY) delete shared[field];
  // The client's stream_options go as they are: a stream's usage is asked for by the kernel
  // (core/provider-call.ts), as its own hint, which a host that refuses stream_options is sent again without.
  const request: ChatCompletionRequest = { ...shared, model: body.model, messages: [{ role: 'user', content: prompt.text }] };
  return { body, request, losses, echo: body.echo === true ? prompt.text : '' };
}

interface Prompt {
  /** The (first) prompt as text; empty for token ids. */
  text: string;
  /** How many prompts the request holds. */
  count: number;
  tokens: boolean;
}

function readPrompt(prompt: CompletionPrompt | null | undefined): Prompt {
  if (prompt === null || prompt === undefined) return { text: '', count: 1, tokens: false };
  if (typeof prompt === 'string') return { text: prompt, count: 1, tokens: false };
  if (prompt.every((item): item is string => typeof item === 'string')) return { text: prompt[0] ?? '', count: Math.max(prompt.length, 1), tokens: false };
  // One prompt as token ids, or several.
  return { text: '', count: prompt.every((item) => typeof item === 'number') ? 1 : prompt.length, tokens: true };
}

function lossesOf(body: CompletionRequest, prompt: Prompt): TranslationLoss[] {
  const losses: TranslationLoss[] = [];
  const lose = (param: string, why: string) => losses.push({ param, why, kind: 'content' });
  if (prompt.tokens) lose('prompt', 'the prompt is token ids, which a chat model cannot read');
  else if (prompt.count > 1) lose('prompt', `a chat model answers one prompt per request, not ${prompt.count} (only the first is sent)`);
  if (typeof body.suffix === 'string' && body.suffix !== '') lose('suffix', 'a chat model cannot fill in the middle: it is given no text after the insertion point');
  if (typeof body.best_of === 'number' && body.best_of > Math.max(body.n ?? 1, 1)) lose('best_of', 'chat cannot pick the best of several candidates server-side');
  if (body.logprobs !== undefined && body.logprobs !== null) lose('logprobs', 'text completion log probabilities (of the answer, or of the prompt with echo) are not translated from chat');
  return losses;
}
