import { maskUrlPasswords } from '../mask-urls.js';

/** A config that cannot run. `problems` are one line each, ready to print, secrets already masked. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(summary: string, problems: readonly string[] = []) {
    const masked = problems.map(maskUrlPasswords);
    super(maskUrlPasswords(masked.length > 0 ? `${summary}:\n  ${masked.join('\n  ')}` : summary));
    this.name = 'ConfigError';
    this.problems = masked;
  }
}
