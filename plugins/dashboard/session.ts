/**
 * Dashboard sessions: a cookie holding an expiry and a random id, signed with HMAC-SHA256 under a
 * key derived from the admin key (so every replica verifies it, and changing the admin key logs
 * everyone out). The server keeps which sessions are live, from login to logout (live-sessions.ts): a cookie
 * whose session has no record there is refused. The CSRF token is derived from the session id with
 * the same key: pages carry it, state-changing requests send it back in `x-csrf-token`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'llm_gateway_session';
export const LOGIN_COOKIE = 'llm_gateway_login';

export interface Session {
  readonly id: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export class Sessions {
  private readonly key: Buffer;

  constructor(
    adminKey: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createHash('sha256').update(`llm-gateway dashboard sessions v1\0${adminKey}`).digest();
  }

  /** A new session's cookie value. */
  issue(): { value: string; session: Session } {
    const session = { id: randomBytes(16).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    const payload = Buffer.from(JSON.stringify([session.id, session.expiresAt])).toString('base64url');
    return { value: `${payload}.${this.sign(`session.${payload}`)}`, session };
  }

  /** The session a cookie value stands for; undefined when forged, malformed or expired. */
  verify(value: string | undefined): Session | undefined {
    if (!value) return undefined;
    const [payload, signature, extra] = value.split('.');
    if (!payload || !signature || extra !== undefined || !same(signature, this.sign(`session.${payload}`))) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'number') return undefined;
    if (parsed[1] <= this.now()) return undefined;
    return { id: parsed[0], expiresAt: parsed[1] };
  }

  csrfToken(session: Session): string {
    return this.sign(`csrf.${session.id}`);
  }

  checkCsrf(session: Session, token: string | undefined): boolean {
    return typeof token === 'string' && same(token, this.csrfToken(session));
  }

  /** The login form's token, tied to a nonce kept in a short-lived cookie (login CSRF). */
  loginToken(nonce: string): string {
    return this.sign(`login.${nonce}`);
  }

  get maxAgeSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  private sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

/** Constant-time comparison of two strings of any length. */
export function same(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setCookie(name: string, value: string, options: { maxAgeSeconds: number; secure: boolean; path?: string }): string {
  return [`${name}=${value}`, `Path=${options.path ?? '/'}`, `Max-Age=${options.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(options.secure ? ['Secure'] : [])].join('; ');
}
