/**
 * Request bodies sent compressed (`Content-Encoding`). The Codex CLI and desktop app send their
 * Responses requests as zstd when logged in with ChatGPT, and other clients and proxies gzip large
 * bodies; read as they came, such a body was "not valid JSON". The body is decoded before it is
 * parsed, each coding's output held to the request body limit (a small bomb is refused with a 413
 * as soon as its output passes it, not after it filled memory), on zlib's threads rather than the
 * event loop. What goes upstream is always the decoded JSON, sent with the adapter's own headers.
 */
import { constants } from 'node:buffer';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { GatewayError, invalidRequest } from '../errors.js';

type Decoder = (bytes: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

/** zstd is in Node's zlib from 22.15 and 23.8; on Node 20 such a body is refused, saying so. */
const zstdDecompress = (zlib as { zstdDecompress?: (bytes: Buffer, options: zlib.ZlibOptions, callback: (error: Error | null, result: Buffer) => void) => void }).zstdDecompress;

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

const DECODERS: Readonly<Record<string, Decoder | undefined>> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  // HTTP's deflate is zlib-wrapped (RFC 9110), but some clients (.NET's DeflateStream) send the
  // raw stream, which browsers and curl read too: told apart by the zlib header's check bits.
  deflate: (bytes, options) => (bytes.length >= 2 && (bytes[0]! & 0x0f) === 8 && ((bytes[0]! << 8) | bytes[1]!) % 31 === 0 ? inflate : inflateRaw)(bytes, options),
  br: promisify(zlib.brotliDecompress),
  ...(zstdDecompress ? { zstd: promisify(zstdDecompress) } : {}),
};

/** More layers than any client sends; each one is a pass over the whole body. */
const MOST_CODINGS = 2;

/**
 * `bytes` decoded by the request's `Content-Encoding` (codings applied in the order listed, so
 * undone last first); the bytes themselves when there is none, or only `identity`.
 */
export async function decodeContentCoding(bytes: Buffer, header: string | undefined, limit: number): Promise<Buffer> {
  if (header === undefined) return bytes;
  const codings = header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return bytes;
  if (codings.length > MOST_CODINGS) throw unsupported(`Content-Encoding "${shown(header)}" lists ${codings.length} codings; the gateway undoes at most ${MOST_CODINGS}.`);
  const maxOutputLength = Math.min(limit, constants.MAX_LENGTH);
  let decoded = bytes;
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding];
    if (decode === undefined) {
      const zstdLater = coding === 'zstd' ? ` zstd needs Node.js 22.15 or later, and this gateway runs on ${process.version}.` : '';
      throw unsupported(`The request body's Content-Encoding "${shown(coding)}" is not supported: send it uncompressed, or as ${Object.keys(DECODERS).join(', ')}.${zstdLater}`);
    }
    try {
      decoded = await decode(decoded, { maxOutputLength });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new GatewayError('payload_too_large', `The request body, decompressed, is larger than the gateway's limit of ${limit} bytes.`, { code: 'request_too_large' });
      }
      throw invalidRequest(`The request body could not be decompressed as ${coding} (${(error as Error).message}): check its Content-Encoding.`, undefined, 'invalid_body');
    }
  }
  return decoded;
}

function unsupported(message: string): GatewayError {
  return new GatewayError('unsupported_media_type', message, { code: 'unsupported_content_encoding', retryable: false });
}

/** A client's header, short enough to quote in an error. */
function shown(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
