/**
 * Reads a JSON request body with a size limit. A body over the limit is refused from its
 * Content-Length before a byte is read, or as soon as the stream passes the limit.
 */
import getRawBody from 'raw-body';
import type { IncomingMessage } from 'node:http';
import { GatewayError, invalidRequest } from '../errors.js';

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  let text: string;
  try {
    // Bytes, then one toString: raw-body's own decoding goes through iconv-lite, slower for UTF-8.
    text = (await getRawBody(req, { limit, length: req.headers['content-length'] })).toString('utf8');
  } catch (error) {
    throw bodyError(error as { type?: string; message: string }, limit);
  }
  if (text.trim() === '') throw invalidRequest('The request body is empty: send a JSON object with "model" and "messages".', undefined, 'empty_body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`We could not parse the JSON body of your request (${(error as Error).message}). Send valid JSON.`, undefined, 'invalid_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidRequest(`The request body must be a JSON object, not ${Array.isArray(parsed) ? 'an array' : typeof parsed === 'object' ? 'null' : `a ${typeof parsed}`}.`, undefined, 'invalid_body');
  }
  return parsed as Record<string, unknown>;
}

function bodyError(error: { type?: string; message: string }, limit: number): GatewayError {
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
