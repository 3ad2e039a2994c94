/**
 * The client's headers, with the provider's configured betas (`beta`, sent on every request) and
 * the client's own `anthropic-beta` in one list: the client's header replaced the configured one,
 * and Claude Code sends its own on every request, so the configured betas (a 1M-token context, say)
 * were dropped for it.
 */
export function withConfiguredBetas(configured: string | undefined, client: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  const asked = client?.['anthropic-beta'];
  if (configured === undefined || asked === undefined) return client;
  const betas = new Set<string>();
  for (const beta of `${configured},${asked}`.split(',')) if (beta.trim() !== '') betas.add(beta.trim());
  return { ...client, 'anthropic-beta': [...betas].join(',') };
}
