/**
 * Reads a JSON request body with a size limit. A body over the limit is refused from its
 * Content-Length before a byte is read, or as soon as the stream passes the limit. The request's
 * body rules (body-rules.ts) add a deadline for the whole body to arrive (a body trickled a byte at
 * a time is cut with a 408) and limits on its JSON's depth, array lengths and string sizes, checked
 * before it is parsed. A compressed body is decoded first (content-coding.ts), held to the same limit,
 * and one in another charset than UTF-8 read as UTF-8 (body-charset.ts).
 */
import getRawBody from 'raw-body';
import type { IncomingMessage } from 'node:http';
import { GatewayError, invalidRequest, isGatewayError } from '../errors.js';
import { utf8Body } from './body-charset.js';
import { bodyRulesOf, type BodyRules } from './body-rules.js';
import { decodeContentCoding } from './content-coding.js';
import { checkJsonShape, type JsonLayout } from './json-shape.js';

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return (await readJsonRequest(req, limit)).body;
}

/**
 * The body with its bytes and text and, for a body of `layoutFromBytes` or more whose shape the
 * body rules checked, its layout (see client-json.ts; a smaller one is not worth keeping).
 */
export async function readJsonRequest(req: IncomingMessage, limit: number, layoutFromBytes = Infinity): Promise<{ body: Record<string, unknown>; bytes: Buffer; text: string; layout: JsonLayout | undefined }> {
  const rules = bodyRulesOf(req);
  // Node's parser hands the request over as soon as it has read the headers, and goes on with the
  // body that came in the same read before any promise settles: after one turn it is in hand.
  let bytes = bodyInHand(req, limit);
  if (bytes === undefined && !req.complete) {
    await undefined;
    bytes = bodyInHand(req, limit);
  }
  if (bytes === undefined) {
    try {
      // Bytes, then one toString: raw-body's own decoding goes through iconv-lite, slower for UTF-8.
      const reading = getRawBody(req, { limit, length: req.headers['content-length'] });
      bytes = await (rules ? beforeDeadline(reading, req, rules) : reading);
    } catch (error) {
      throw bodyError(error as { type?: string; message: string }, limit);
    }
  }
  const coding = req.headers['content-encoding'];
  if (coding !== undefined) bytes = await decodeContentCoding(bytes, coding, limit);
  bytes = utf8Body(bytes, req.headers['content-type']);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw invalidRequest('The request body is empty: send a JSON object with "model" and "messages".', undefined, 'empty_body');
  const layout = rules ? checkJsonShape(text, rules.limits, bytes.length >= layoutFromBytes) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`We could not parse the JSON body of your request (${(error as Error).message}). Send valid JSON.`, undefined, 'invalid_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidRequest(`The request body must be a JSON object, not ${Array.isArray(parsed) ? 'an array' : typeof parsed === 'object' ? 'null' : `a ${typeof parsed}`}.`, undefined, 'invalid_body');
  }
  return { body: parsed as Record<string, unknown>, bytes, text, layout };
}

/**
 * The whole body, when all of it is in the request's buffer and nobody read any of it yet: the
 * usual request, a few kilobytes in the read that brought its headers (Node's parser hands the
 * request over at its headers, and has the body a turn later). It is taken at once, without
 * raw-body's five listeners added to the request and removed again (about 12 thousand
 * instructions a request, docs/performance-history.md), and the stream is left to reach its end
 * as under a reader. A body over the limit or still arriving is raw-body's, which refuses or waits.
 */
function bodyInHand(req: IncomingMessage, limit: number): Buffer | undefined {
  if (req.readableFlowing !== null || req.readableEnded || req.readableLength > limit) return undefined;
  const complete = req.complete;
  // Before the parser marks the message complete, the buffer holds all of it when it holds as
  // many bytes as the request said it would send (a body of unstated length waits for its end).
  if (!complete && (req.readableLength === 0 || req.readableLength !== Number(req.headers['content-length']))) return undefined;
  // An empty body has nothing to read; the call still ends a complete stream.
  const bytes = (req.read() as Buffer | null) ?? EMPTY;
  // Its end, which the parser has yet to push, comes to a flowing stream as it would to raw-body.
  if (!complete) req.resume();
  return bytes;
}

const EMPTY = Buffer.alloc(0);

/** The body as it arrives, or a 408 once the request's deadline passes (and the connection closes after it). */
function beforeDeadline(reading: Promise<Buffer>, req: IncomingMessage, rules: BodyRules): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const unwatch = rules.lateBodies.watch(rules.deadline, () => {
      rules.closeAfterAnswer();
      req.pause();
      reject(new GatewayError('invalid_request', 'The request body did not arrive in time: send it at once, not a little at a time.', { status: 408, code: 'request_timeout', retryable: false }));
    });
    reading.then(
      (bytes) => {
        unwatch();
        resolve(bytes);
      },
      (error: unknown) => {
        unwatch();
        reject(error as Error);
      },
    );
  });
}

function bodyError(error: { type?: string; message: string }, limit: number): GatewayError {
  if (isGatewayError(error)) return error;
  switch (error.type) {
    case 'entity.too.large':
      return new GatewayError('payload_too_large', `The request body is larger than the gateway's limit of ${limit} bytes.`, { code: 'request_too_large' });
    case 'request.size.invalid':
      return invalidRequest('The request body is shorter or longer than its Content-Length.', undefined, 'invalid_body');
    case 'request.aborted':
      return new GatewayError('client_closed', 'The client closed the connection while sending the request.', { retryable: false });
    default:
      return invalidRequest(`The request body could not be read: ${error.message}`, undefined, 'invalid_body');
  }
}
