/**
 * A request body as UTF-8 bytes, whatever the charset its Content-Type declares: the JSON is
 * parsed, measured and passed on from these bytes. Before, every body was read as UTF-8: one in
 * ISO-8859-1 (Apache HttpClient's `StringEntity` default) reached the upstream, and was billed, with
 * its accented letters replaced, and one in UTF-16 was "not valid JSON". A byte order mark before
 * UTF-8 JSON (Windows tools write one; RFC 8259 lets a parser ignore it) was "not valid JSON" too.
 * A charset no decoder knows is refused with a 415 saying so.
 */
import { TextDecoder } from 'node:util';
import { GatewayError } from '../errors.js';

const UTF8_NAMES = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

export function utf8Body(bytes: Buffer, contentType: string | undefined): Buffer {
  const charset = contentType === undefined || !contentType.includes('charset') ? undefined : CHARSET.exec(contentType)?.[1]?.toLowerCase();
  if (charset === undefined || UTF8_NAMES.has(charset)) {
    return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  }
  let decoder: TextDecoder;
  try {
    // WHATWG's `utf-16` is little-endian whatever its mark; Java's UTF_16 writes FE FF and big-endian.
    decoder = new TextDecoder((charset === 'utf-16' || charset === 'utf16') && bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : charset);
  } catch {
    throw new GatewayError('unsupported_media_type', `The request body's charset "${charset.slice(0, 40)}" is not supported: send UTF-8.`, { code: 'unsupported_charset', retryable: false });
  }
  // A byte order mark of the declared charset is taken off by the decoder.
  return Buffer.from(decoder.decode(bytes), 'utf8');
}
