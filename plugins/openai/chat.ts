/**
 * `POST {baseURL}/chat/completions`, whole or streamed, checked on the way back: a body that is not
 * a completion, a chunk that is not JSON, an error event mid-stream, or a stream that stops before
 * it finished all become GatewayErrors naming the provider.
 */
import { type ChatCompletion, type ChatCompletionChunk, GatewayError, SKIP, STOP, mapStream } from 'llm-gateway/plugin';
import { type ChatCallInput, type ChatResult, type PassThroughHint, type UpstreamHttpClient, decodeSse, jsonHeaders, reportedUpstreamError } from 'llm-gateway/provider-kit';
import { FinishedChoices } from './finished-choices.js';
import { type HostRules, PLAIN_HOST, carryServiceTier, readHostUsage } from './host-usage.js';
import { PassedChunk, rememberRaw } from './raw-chunk.js';

/**
 * `path` is relative to the base URL; Azure's deployments live elsewhere than `/chat/completions`.
 * `body` is what goes up when a host needs the request adapted (OpenAI's `max_completion_tokens`):
 * passed beside the input rather than in a spread copy of it, which would make its AbortSignal.
 * `rules`: what the host says in its usage beyond OpenAI's fields (host-usage.ts).
 */
export async function chatCompletions(client: UpstreamHttpClient, headers: Record<string, string>, input: ChatCallInput, path = '/chat/completions', body = input.body, rules: HostRules = PLAIN_HOST): Promise<ChatResult> {
  const streaming = body.stream === true;
  const exchange = await client.send({
    method: 'POST',
    path,
    headers: jsonHeaders(streaming, headers, input.headers),
    body: (input.encodeBody ?? JSON.stringify)(body),
    signal: input,
  });
  await client.expectOk(exchange);

  if (!streaming) {
    const text = await client.readText(exchange);
    const body = client.parseJson(text);
    // A 200 that carries an error (OpenRouter's, for a failure once generation started): its words, not "malformed".
    if (!isCompletion(body) && typeof body === 'object' && body !== null && 'error' in body && (body as { error: unknown }).error) throw reportedUpstreamError(client.provider, text);
    if (!isCompletion(body)) throw malformed(client.provider, 'the answer is not a chat completion (no choices)');
    readHostUsage(body.usage, rules);
    carryServiceTier(body.usage, body.service_tier);
    // The completion is the upstream's JSON as it came: the kernel sends its text rather than serialising it again.
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body, raw: { body, text } };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(client.provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks: decodeChunks(client.provider, decodeSse(exchange), input.passThrough, Number(body.n) > 1 ? Number(body.n) : 1, rules) };
}

/**
 * The upstream's events as chunks, checked: not JSON, an error event or a stream cut short fail it.
 * Once the stream's readers take chunks as they are (`passThrough.allowed`), and while priming
 * holds its first chunks (`passThrough.priming`), an event that can carry nothing the kernel reads
 * but a finish reason is not parsed: it goes on as a PassedChunk with its text, parsed (as here)
 * only if someone reads more of it than its choices, or if pass-through is refused after priming.
 */
function decodeChunks(provider: string, events: AsyncIterable<{ data: string; event?: string | undefined }>, passThrough: PassThroughHint | undefined, choices: number, rules: HostRules): AsyncIterable<ChatCompletionChunk> {
  // With `n` choices, the answer is complete once each has its finish reason.
  const finished = new FinishedChoices(choices);
  const noteFinish = (chunk: ChatCompletionChunk) => finished.note(chunk.choices);
  const parse = (data: string) => parseChunk(provider, data, rules);
  return mapStream(events, {
    item(event) {
      const data = event.data;
      if (event.event === 'error') throw reportedUpstreamError(provider, data);
      if (data === '[DONE]') {
        finished.done = true;
        return STOP;
      }
      // An event with no data is never dispatched (the SSE spec; a heartbeat some servers send).
      if (data === '') return SKIP;
      // One event written over several `data:` lines: its text holds their line breaks, so it is
      // written again as one line, not passed on as it came.
      if (data.includes('\n')) {
        const chunk = parse(data);
        noteFinish(chunk);
        return chunk;
      }
      // Passed through from now on, or held by priming and parsed if it is not (core/unparsed-preamble.ts).
      if (passThrough !== undefined && (passThrough.allowed || passThrough.priming === true)) {
        const look = lookAt(data);
        if (look !== MORE) {
          const passed = new PassedChunk(data, parse);
          // The last chunk of an answer: its choices, read as a tap reads them (delta-choices.ts, or
          // a parse of the event where they are not the usual shape), say whether it finished.
          if (look === A_FINISH_AT_MOST) noteFinish(passed);
          return passed;
        }
      }
      const chunk = parse(data);
      noteFinish(chunk);
      rememberRaw(chunk, data);
      return chunk;
    },
    end() {
      // Some servers omit [DONE]; an answer that reached its finish_reason is complete all the same.
      if (!finished.done) throw malformed(provider, 'the stream ended before the answer was complete', 'upstream_stream_truncated');
      return undefined;
    },
  });
}

/** One event's chunk: not JSON, not an object, or an error event fail the stream. */
function parseChunk(provider: string, data: string, rules: HostRules): ChatCompletionChunk {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw malformed(provider, 'the stream carried an event that is not JSON');
  }
  if (typeof chunk !== 'object' || chunk === null) throw malformed(provider, 'the stream carried an event that is not an object');
  if ('error' in chunk && (chunk as { error: unknown }).error) throw reportedUpstreamError(provider, data);
  readHostUsage((chunk as ChatCompletionChunk).usage, rules);
  carryServiceTier((chunk as ChatCompletionChunk).usage, (chunk as { service_tier?: unknown }).service_tier);
  return chunk as ChatCompletionChunk;
}

/** A string value for `finish_reason`, whitespace allowed as JSON allows it (`null` is not one). */
const FINISH_REASON = /finish_reason"\s*:\s*"/;

/** A `usage` key with a value other than `null`. */
const USAGE_VALUE = /usage"\s*:(?!\s*null\b)/;

/** What the kernel may need of an event's text: nothing, its finish reason at most, or more (it is parsed). */
const NOTHING_TO_READ = 0;
const A_FINISH_AT_MOST = 1;
const MORE = 2;
type Look = typeof NOTHING_TO_READ | typeof A_FINISH_AT_MOST | typeof MORE;

/**
 * Whether an event may go on unparsed: it has an object's braces (an event cut short is parsed, and
 * fails the stream as before; one garbled between its braces goes on as the upstream wrote it, as
 * through any pass-through proxy), and its text shows no usage, no error and no finish reason: none
 * of those keys appears with a value (`"usage":null` is none: OpenAI puts it on every chunk but the
 * last when usage is asked for, as the token counter does), and no `\u` escape could spell one. A
 * false "may carry" only costs a parse. An event whose only such key is a finish reason (the
 * answer's last chunk) goes on unparsed too, and its choices are read to say whether the answer
 * finished; one with usage or an error is parsed.
 *
 * One regular expression looks at the whole event once (`MAY_CARRY`): it passes an event whose
 * `usage` and `*_reason` keys are all null as OpenAI writes them, and that has no `error` key; a
 * search for the escape comes first. Four searches made four passes over each event, one of them
 * stopping at every `e` (about 500 against 250 ns a chunk). The escape is searched for apart
 * because, inside the expression, its two characters made two the shortest match, too short for
 * V8's compiled expression to skip ahead: without it every match is six long (110 against 64 ns an
 * OpenAI chunk, the two looks together, on Node 20 and 24). Whatever it finds gets the exact
 * look, which allows JSON's spacing around a null. Matching more (`"max_usage"`, `"stop_reason"`)
 * only costs a parse, or that look.
 */
function lookAt(data: string): Look {
  if (data.charCodeAt(0) !== OPEN_BRACE || data.charCodeAt(data.length - 1) !== CLOSE_BRACE) return MORE;
  if (data.includes('\\u')) return MORE;
  if (!MAY_CARRY.test(data)) return NOTHING_TO_READ;
  if (data.includes('error"') || USAGE_VALUE.test(data)) return MORE;
  return FINISH_REASON.test(data) ? A_FINISH_AT_MOST : NOTHING_TO_READ;
}

/** An `error` key, or a `usage` or `*_reason` key whose value is not `null` right after its colon. */
const MAY_CARRY = /error"|usage"(?!:null[,}])|eason"(?!:null[,}])/;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function isCompletion(body: unknown): body is ChatCompletion {
  return typeof body === 'object' && body !== null && Array.isArray((body as { choices?: unknown }).choices);
}

function malformed(provider: string, what: string, code = 'upstream_invalid_response'): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code, retryable: true });
}
