/**
 * Gateway key secrets: `gw-` and 32 random bytes. Only a SHA-256 of the secret is stored, so a
 * leaked store leaks no usable key; a fast hash is right here because the secret is random, not a
 * password someone chose.
 */
import { hash, randomBytes } from 'node:crypto';

export function newSecret(): string {
  return `gw-${randomBytes(32).toString('base64url')}`;
}

/** One-shot `crypto.hash` (Node 20.12+): a third of `createHash().update().digest()`'s cost, paid by every request. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

export function newKeyId(): string {
  return `key_${randomBytes(9).toString('base64url')}`;
}
