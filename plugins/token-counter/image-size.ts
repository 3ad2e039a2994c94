/**
 * The pixel size of an image sent inline as a `data:` URL, read from its header: PNG, GIF, WebP
 * and JPEG, the formats OpenAI accepts. An `https:` image is never fetched (a token count must not
 * make network calls), so its size stays unknown and the caller falls back.
 */

export interface ImageSize {
  width: number;
  height: number;
}

/** JPEG's size sits in its SOF segment, which can follow a large EXIF block; decoding this much base64 (~192 KiB of image) is enough for nearly every photo. */
const MAX_BASE64_CHARS = 256 * 1024;

export function imageSizeFromDataUrl(url: string): ImageSize | undefined {
  const match = /^data:image\/[\w.+-]+;base64,/i.exec(url);
  if (!match) return undefined;
  const base64 = url.slice(match[0].length, match[0].length + MAX_BASE64_CHARS);
  // Keep whole 4-character groups so a truncated tail does not corrupt the decoded prefix.
  const bytes = Buffer.from(base64.slice(0, base64.length - (base64.length % 4)), 'base64');
  return pngSize(bytes) ?? gifSize(bytes) ?? webpSize(bytes) ?? jpegSize(bytes);
}

function pngSize(b: Buffer): ImageSize | undefined {
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return sized(b.readUInt32BE(16), b.readUInt32BE(20));
}

function gifSize(b: Buffer): ImageSize | undefined {
  if (b.length < 10 || b.toString('latin1', 0, 3) !== 'GIF') return undefined;
  return sized(b.readUInt16LE(6), b.readUInt16LE(8));
}

function webpSize(b: Buffer): ImageSize | undefined {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return sized(1 + b.readUIntLE(24, 3), 1 + b.readUIntLE(27, 3));
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return sized(1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff));
  }
  if (chunk === 'VP8 ') return sized(b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
  return undefined;
}

function jpegSize(b: Buffer): ImageSize | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 9 <= b.length) {
    if (b[offset] !== 0xff) return undefined;
    const marker = b[offset + 1] ?? 0;
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return sized(b.readUInt16BE(offset + 7), b.readUInt16BE(offset + 5));
    }
    offset += 2 + b.readUInt16BE(offset + 2);
  }
  return undefined;
}

function sized(width: number, height: number): ImageSize | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}
