/** How commands answer: a line on stdout and exit code 0, or a line on stderr and exit code 2 (usage). */
export function print(text: string): number {
  process.stdout.write(text + '\n');
  return 0;
}

export function fail(text: string): number {
  process.stderr.write(text + '\n');
  return 2;
}
