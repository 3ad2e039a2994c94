/**
 * URLs with credentials (`postgres://user:secret@db/usage`, `redis://:secret@cache:6379`) reach
 * config errors, log lines and error messages; their passwords must not. Masks every such password
 * in a text, wherever in it the URL stands.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:'"]*):([^\s/?#@'"]+)@/gi;

export function maskUrlPasswords(text: string): string {
  return text.includes('://') ? text.replace(URL_PASSWORD, '$1:***@') : text;
}
