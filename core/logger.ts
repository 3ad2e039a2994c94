/**
 * A small structured logger: one line per record on stderr, JSON for machines or text for people.
 * Kept in-house because the gateway logs little (start, stop, failures) and never per request by
 * default; the hot path only pays for a level comparison.
 */
import { maskUrlPasswords } from './mask-urls.js';
import { withoutSecrets } from './secret-values.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'text' | 'json';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  scope?: string;
  write?: (line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const threshold = RANK[level];

  const log = (recordLevel: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (RANK[recordLevel] < threshold) return;
    // A URL's password never reaches a log line, whichever field or message carries it.
    write(withoutSecrets(maskUrlPasswords(format === 'json' ? jsonLine(recordLevel, options.scope, message, fields) : textLine(recordLevel, options.scope, message, fields))));
  };

  return {
    level,
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    child: (scope) => createLogger({ ...options, scope: options.scope ? `${options.scope}:${scope}` : scope }),
  };
}

function jsonLine(level: string, scope: string | undefined, message: string, fields?: Record<string, unknown>): string {
  return JSON.stringify({ time: new Date().toISOString(), level, scope, message, ...serializable(fields) });
}

function textLine(level: string, scope: string | undefined, message: string, fields?: Record<string, unknown>): string {
  const extra = fields ? Object.entries(serializable(fields)).map(([k, v]) => ` ${k}=${typeof v === 'string' ? oneLine(v) : JSON.stringify(v)}`) : [];
  return `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${scope ? `[${scope}] ` : ''}${oneLine(message)}${extra.join('')}`;
}

/**
 * A value a client may have chosen (a model name, a header) stays on its record's line: line
 * breaks and other control characters are written escaped (`\n`, `\u001b`), so nobody can forge a
 * line, and a message of several lines (a config error) still reads as it was written.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function oneLine(text: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text) ? text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** Errors do not survive JSON.stringify; keep their name and message (never their stack in JSON). */
function serializable(fields?: Record<string, unknown>): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? `${value.name}: ${value.message}` : value;
  }
  return out;
}

/** For tests and embedding: a logger that records nothing. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
