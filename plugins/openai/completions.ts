/**
 * `POST {baseURL}/completions`, whole or streamed: OpenAI's legacy text completions, sent for a
 * client that spoke them (`input.native`, protocol `openai-completions`) to a host that serves them.
 * The client's body goes up as it wrote it (the model name aside); the answer reaches plugins as
 * OpenAI chat (each choice's text as `content`, usage kept) with the upstream's own JSON attached,
 * which the `/v1/completions` front-end hands the client as it came.
 *
 * Format: openai/openai-node `src/resources/completions.ts` (see completions-wire.ts).
 */
import { type ChatCallInput, type ChatCompletion, type ChatCompletionChunk, type ChatResult, GatewayError, type UpstreamHttpClient, attachNative, decodeSse, jsonHeaders, reportedUpstreamError } from 'llm-gateway/provider-kit';
import type { TextCompletion, TextCompletionChoice } from './completions-wire.js';
import { FinishedChoices } from './finished-choices.js';
import { type HostRules, PLAIN_HOST, readHostUsage } from './host-usage.js';

const PROTOCOL = 'openai-completions';

export async function textCompletions(client: UpstreamHttpClient, headers: Record<string, string>, input: ChatCallInput, rules: HostRules = PLAIN_HOST): Promise<ChatResult> {
  const native = input.native;
  if (native?.protocol !== PROTOCOL) throw new GatewayError('internal', `${client.provider}: a text completion was sent without the client's request`, { provider: client.provider, retryable: false });
  const body: Record<string, unknown> = { ...native.body, model: input.body.model };
  const streaming = body.stream === true;
  const exchange = await client.send({
    method: 'POST',
    path: '/completions',
    headers: jsonHeaders(streaming, headers, input.headers),
    body: (input.encodeBody ?? JSON.stringify)(body),
    signal: input,
  });
  await client.expectOk(exchange);

  if (!streaming) {
    const text = await client.readText(exchange);
    const answer = client.parseJson(text);
    if (!isTextCompletion(answer)) throw malformed(client.provider, 'the answer is not a text completion (no choices)');
    const completion = attachNative(toChatCompletion(answer, echoedPrompt(native.body), rules), { protocol: PROTOCOL, event: 'message', data: text });
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: completion };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(client.provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks: toChatChunks(client.provider, decodeSse(exchange), echoedPrompt(native.body), expectedChoices(native.body), rules) };
}

/**
 * How many choices the answer has: `n` for each prompt (OpenAI's API reference: "How many
 * completions to generate for each prompt"). Several prompts are strings, or token id arrays; one
 * prompt is a string or one array of token ids.
 */
function expectedChoices(body: Record<string, unknown>): number {
  const prompt = body.prompt;
  const prompts = Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string' || Array.isArray(p)) ? prompt.length : 1;
  const n = Number(body.n) >= 1 ? Math.floor(Number(body.n)) : 1;
  return prompts * n;
}

/**
 * The prompt the host puts before each answer's text when asked to `echo` it: not the assistant's
 * content. The view leaves it out, as the chat view of any other answer has none, so that whoever
 * writes the view as a text completion again (a cache hit) puts it back once, not twice.
 */
function echoedPrompt(body: Record<string, unknown>): string {
  if (body.echo !== true) return '';
  const prompt = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
  return typeof prompt === 'string' ? prompt : '';
}

/** The whole answer in chat terms, for plugins: each choice's text, past any echoed prompt, as the assistant's content. */
function toChatCompletion(answer: TextCompletion, echoed: string, rules: HostRules): ChatCompletion {
  const contentOf = (choice: TextCompletionChoice) => {
    const text = textOf(choice);
    return echoed !== '' && text.startsWith(echoed) ? text.slice(echoed.length) : text;
  };
  readHostUsage(answer.usage, rules);
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: answer.choices.map((choice) => ({ index: choice.index, message: { role: 'assistant', content: contentOf(choice) }, finish_reason: choice.finish_reason, logprobs: choice.logprobs })),
    ...(answer.usage ? { usage: answer.usage } : {}),
  };
}

/**
 * Each event as a chat chunk carrying the event's own data. Like the chat adapter: an error event
 * mid-stream, or a stream that stops before every choice finished, is a failure naming the provider.
 */
async function* toChatChunks(provider: string, events: AsyncIterable<{ data: string; event?: string | undefined }>, echoed: string, choiceCount: number, rules: HostRules): AsyncGenerator<ChatCompletionChunk> {
  // As for chat's `n`: with several choices, the answer is complete once each has its finish reason.
  const finished = new FinishedChoices(choiceCount);
  /** Per choice, how much of the echoed prompt its text has still to pass before the answer starts. */
  const toSkip = new Map<number, string>();
  const contentOf = (choice: Partial<TextCompletionChoice>) => {
    let text = textOf(choice);
    const index = choice.index ?? 0;
    const left = toSkip.get(index) ?? (echoed !== '' && !toSkip.has(index) ? echoed : '');
    if (left === '') return text;
    const skipped = commonPrefixLength(text, left);
    toSkip.set(index, skipped === left.length || skipped < text.length ? '' : left.slice(skipped));
    text = text.slice(skipped);
    return text;
  };
  for await (const event of events) {
    // llama.cpp's `error:` line (the SSE decoder names it), as the chat adapter reads it.
    if (event.event === 'error') throw reportedUpstreamError(provider, event.data);
    if (event.data === '[DONE]') return;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      throw malformed(provider, 'the stream carried an event that is not JSON');
    }
    if (typeof data !== 'object' || data === null) throw malformed(provider, 'the stream carried an event that is not an object');
    if ('error' in data && (data as { error: unknown }).error) throw reportedUpstreamError(provider, event.data);
    const part = data as Partial<TextCompletion>;
    readHostUsage(part.usage, rules);
    const choices = Array.isArray(part.choices) ? part.choices : [];
    finished.note(choices);
    const chunk: ChatCompletionChunk = {
      id: String(part.id ?? ''),
      object: 'chat.completion.chunk',
      created: typeof part.created === 'number' ? part.created : 0,
      model: String(part.model ?? ''),
      choices: choices.map((choice) => ({ index: choice.index, delta: { content: contentOf(choice) }, finish_reason: choice.finish_reason ?? null, logprobs: choice.logprobs ?? null })),
      ...(part.usage ? { usage: part.usage } : {}),
    };
    yield attachNative(chunk, { protocol: PROTOCOL, event: 'message', data: event.data });
  }
  // Some servers omit [DONE]; an answer that reached its finish_reason is complete all the same.
  if (!finished.done) throw malformed(provider, 'the stream ended before the answer was complete', 'upstream_stream_truncated');
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function textOf(choice: Partial<TextCompletionChoice>): string {
  return typeof choice.text === 'string' ? choice.text : '';
}

function isTextCompletion(body: unknown): body is TextCompletion {
  return typeof body === 'object' && body !== null && Array.isArray((body as { choices?: unknown }).choices);
}

function malformed(provider: string, what: string, code = 'upstream_invalid_response'): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code, retryable: true });
}
