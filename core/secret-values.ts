/**
 * The secret values the gateway is configured with (provider keys and the admin key, as read from
 * the config, the environment and the encrypted store), so that no text it shows or writes quotes
 * one: an upstream that echoes the key it was sent ("Incorrect API key provided: …", a proxy that
 * repeats its request) would otherwise put it in a client's error, the usage log, the public
 * `/ready` and the process log. Each is shown by its last four characters, as every page shows a
 * secret. Process-wide, since errors are made far from any one gateway; bounded, oldest first.
 */
const MOST = 1000;
/** Shorter values would replace ordinary words. */
const SHORTEST = 8;
const known = new Set<string>();

export function rememberSecret(value: string): void {
  if (value.length < SHORTEST || known.has(value)) return;
  if (known.size >= MOST) known.delete(known.values().next().value as string);
  known.add(value);
}

/** The text with every known secret in it reduced to its last four characters. */
export function withoutSecrets(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.replaceAll(secret, `…${secret.slice(-4)}`);
  return out;
}
