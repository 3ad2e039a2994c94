/**
 * What the dashboard and its admin API may show of a config entry, and how a provider entry is
 * made safe to keep as a live override. A secret (an option whose name ends in key, token, secret,
 * password or authorization) is never rendered nor sent: only its last four characters, or which
 * variable or stored secret it comes from. An override never holds one in clear: typed-in secrets
 * go to the gateway's encrypted secret store and the entry names them (`{ secret: name }`).
 */
import { GatewayError, maskUrlPasswords, SECRET_NAME, type LiveConfig, type ProviderConfig } from 'llm-gateway/plugin';

/** The kernel's rule for secret option names (`check` masks the same ones). */
export { SECRET_NAME };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isSecretRef = (value: unknown): value is { secret: string } => isObject(value) && Object.keys(value).length === 1 && typeof value.secret === 'string';
const isEnvRef = (value: unknown): value is { env: string } => isObject(value) && typeof value.env === 'string' && Object.keys(value).every((k) => k === 'env' || k === 'default');

/** A config value as it may be shown: secrets reduced to their last four characters or their source. */
export async function masked(value: unknown, live: LiveConfig, name = ''): Promise<unknown> {
  if (isSecretRef(value)) return `stored secret "${value.secret}" …${(await live.secrets.hint(value.secret).catch(() => undefined)) ?? '(missing)'}`;
  if (isEnvRef(value)) return `$${value.env}`;
  // A password inside a URL (a proxy's `https://user:pass@host`) is a secret whatever the option's name.
  if (typeof value === 'string') return SECRET_NAME.test(name) ? `…${value.slice(-4)}` : maskUrlPasswords(value);
  if (Array.isArray(value)) return Promise.all(value.map((item) => masked(item, live)));
  if (isObject(value)) return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await masked(v, live, k)] as const)));
  return value;
}

/** The name a provider's secret option is stored under: the kernel's `ownedBy` reads it as the provider's own. */
export const secretNameFor = (provider: string, option: string) => `provider:${provider}:${option}`;

/**
 * A provider entry fit to keep in the store: each secret string among its options, nested ones
 * too (`headers.Authorization`), stored encrypted and replaced by a reference. With no
 * LLM_GATEWAY_SECRETS_KEY that cannot be done: a disabled entry then simply drops them (it is
 * never called), any other is refused. `undo` puts back the secrets it replaced, for a change that
 * is then refused: a refused change must not have swapped the key the provider is called with.
 * (Once a change is saved, the kernel deletes the `provider:<name>:…` secrets no entry names any more.)
 */
export async function sealed(provider: string, entry: ProviderConfig, live: LiveConfig): Promise<{ entry: ProviderConfig; undo(): Promise<void> }> {
  const replaced: Array<{ name: string; previous: string | undefined }> = [];
  const seal = async (options: Record<string, unknown>, path: readonly string[]): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = { ...options };
    for (const [option, value] of Object.entries(options)) {
      const at = [...path, option];
      if (isObject(value) && !isSecretRef(value) && !isEnvRef(value)) {
        out[option] = await seal(value, at);
        continue;
      }
      if (!SECRET_NAME.test(option) || typeof value !== 'string') continue;
      if (live.secrets.enabled) {
        const name = secretNameFor(provider, at.join('.'));
        replaced.push({ name, previous: await live.secrets.get(name).catch(() => undefined) });
        await live.secrets.set(name, value);
        out[option] = { secret: name };
      } else if (entry.enabled === false) {
        delete out[option];
      } else {
        throw new GatewayError('invalid_request', `The provider's ${at.join('.')} would be kept in the store in clear: set LLM_GATEWAY_SECRETS_KEY (a long random string) so the gateway can keep it encrypted, or give the provider in the config file (where its key may come from an environment variable).`, {
          code: 'secrets_key_missing',
          param: at.join('.'),
        });
      }
    }
    return out;
  };
  const sealedEntry = (await seal(entry as unknown as Record<string, unknown>, [])) as unknown as ProviderConfig;
  return {
    entry: sealedEntry,
    async undo() {
      // One the refused change stored first goes too: no entry names it.
      for (const { name, previous } of replaced.reverse()) await (previous === undefined ? live.secrets.delete(name) : live.secrets.set(name, previous));
    },
  };
}
