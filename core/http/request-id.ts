import { randomUUID } from 'node:crypto';

/** A client's id is kept when it is a sane token, so its logs and ours line up; otherwise a UUID. */
const SAFE_ID = /^[\w.:@-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && SAFE_ID.test(candidate) ? candidate : randomUUID();
}
