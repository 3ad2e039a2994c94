/** A config that cannot run. `problems` are one line each, ready to print, secrets already masked. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(summary: string, problems: readonly string[] = []) {
    super(problems.length > 0 ? `${summary}:\n  ${problems.join('\n  ')}` : summary);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
