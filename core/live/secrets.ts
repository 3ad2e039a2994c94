/**
 * Secrets kept by the gateway itself (a provider key typed into the dashboard): encrypted at rest
 * in the store with AES-256-GCM under a key derived from LLM_GATEWAY_SECRETS_KEY, never stored or
 * shown in clear; only their last four characters are ever displayed. A config names one as
 * `{ secret: 'groq-key' }` wherever it could write `{ env: 'GROQ_API_KEY' }`.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { ConfigError } from '../config/config-error.js';
import type { Store, TypedKv } from '../store/store.js';

export const SECRETS_KEY_VARIABLE = 'LLM_GATEWAY_SECRETS_KEY';

interface Sealed {
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
  /** The last four characters, for display. */
  readonly hint: string;
  readonly updatedAt: string;
}

export interface SecretReference {
  secret: string;
}

export function isSecretReference(value: unknown): value is SecretReference {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as SecretReference).secret === 'string';
}

/**
 * Whether a secret is one a provider's live entry owns: typed in for it and sealed under
 * `provider:<name>:<option>` (the dashboard's `secretNameFor`). Only those go when no entry names
 * them any more; one named otherwise was stored by the operator, for as long as they choose.
 */
export const ownedBy = (provider: string, secret: string): boolean => secret.startsWith(`provider:${provider}:`);

/** The names of the secrets `value` refers to (`{ secret: name }`), nested ones too, added to `into`. */
export function secretsNamedIn(value: unknown, into = new Set<string>()): Set<string> {
  if (isSecretReference(value)) into.add(value.secret);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) secretsNamedIn(item, into);
  return into;
}

export class SecretStore {
  private readonly kv: TypedKv<Record<`secret:${string}`, Sealed>>;
  private readonly key: Buffer | undefined;

  constructor(store: Store, keyMaterial: string | undefined) {
    this.kv = store.kv('secrets');
    // scrypt: the variable may hold a passphrase rather than 32 random bytes.
    this.key = keyMaterial ? scryptSync(keyMaterial, 'llm-gateway secrets v1', 32) : undefined;
  }

  get enabled(): boolean {
    return this.key !== undefined;
  }

  async set(name: string, value: string): Promise<void> {
    const key = this.requireKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    await this.kv.set(`secret:${name}`, { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64'), hint: value.slice(-4), updatedAt: new Date().toISOString() });
  }

  async get(name: string): Promise<string | undefined> {
    const sealed = await this.kv.get(`secret:${name}`);
    if (!sealed) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.requireKey(), Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  }

  /** Forgets a secret (one no entry names any more: its provider removed, its option dropped). */
  async delete(name: string): Promise<void> {
    await this.kv.delete(`secret:${name}`);
  }

  /** The last four characters of a secret, the only part ever shown. */
  async hint(name: string): Promise<string | undefined> {
    return (await this.kv.get(`secret:${name}`))?.hint;
  }

  /** Replaces every `{ secret: name }` in `value` with the secret; missing ones are problems named by path. */
  async fill<T>(value: T, path: string, problems: string[]): Promise<T> {
    if (isSecretReference(value)) {
      const found = this.enabled ? await this.get(value.secret).catch(() => undefined) : undefined;
      if (found === undefined) problems.push(`config${path} names the secret "${value.secret}", which ${this.enabled ? 'is not stored (or cannot be decrypted with this key)' : `cannot be read: ${SECRETS_KEY_VARIABLE} is not set`}`);
      return (found ?? undefined) as T;
    }
    if (Array.isArray(value)) return (await Promise.all(value.map((item, i) => this.fill(item, `${path}/${i}`, problems)))) as T;
    if (typeof value === 'object' && value !== null) {
      const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await this.fill(v, `${path}/${k}`, problems)] as const));
      return Object.fromEntries(entries) as T;
    }
    return value;
  }

  private requireKey(): Buffer {
    if (!this.key) throw new ConfigError(`secrets cannot be stored or read: set ${SECRETS_KEY_VARIABLE} (a long random string) to encrypt them`);
    return this.key;
  }
}
