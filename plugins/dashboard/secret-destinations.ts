/**
 * A provider's keys go only where they were configured to go, unless a change types them in. A live
 * change (the admin API, the dashboard) that moved a provider to a host of its choosing while
 * keeping its key, or that named an environment variable or a stored secret as a new provider's
 * key, had the gateway send that key (or any variable of its environment) to that host: a way for
 * whoever holds the admin key or a dashboard session to read what every page and answer masks.
 *
 * So a secret option of a provider entry is set only as one of:
 * - typed in by the change itself (the changer knows it already);
 * - kept, or named by reference (`{ env }`, `{ secret }`), exactly as the entry in force or the
 *   config file's entry holds it at that option, and sent to the same destination as there (the
 *   provider's type, `baseURL` and `endpoint`).
 */
import { GatewayError, SECRET_NAME } from 'llm-gateway/plugin';

type Entry = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isReference = (value: unknown): boolean => isObject(value) && (typeof value.env === 'string' || typeof value.secret === 'string');

/** Where a provider sends its requests, and so its keys. */
const destinationOf = (entry: Entry): string => JSON.stringify([entry.type ?? null, entry.baseURL ?? null, entry.endpoint ?? null]);

/** Each secret option of an entry, nested ones too (`headers.Authorization`), by its path. */
function secretsOf(entry: Entry, path: readonly string[] = []): Array<[path: string, value: unknown]> {
  return Object.entries(entry).flatMap(([option, value]): Array<[string, unknown]> => {
    const at = [...path, option];
    if (isObject(value) && !isReference(value)) return secretsOf(value, at);
    return SECRET_NAME.test(option) && (typeof value === 'string' || isReference(value)) ? [[at.join('.'), value]] : [];
  });
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Refuses (400 `secret_destination`) a provider entry that carries a secret the change did not type
 * in anywhere but where the entry in force or the file's entry sent it.
 * `given`: what the change itself said (a PUT's body, a PATCH's patch, a form's fields).
 */
export function checkSecretDestinations(provider: string, candidate: Entry, given: Entry, sources: ReadonlyArray<Entry | undefined>): void {
  const typedIn = new Map(secretsOf(given).filter(([, value]) => typeof value === 'string'));
  const destination = destinationOf(candidate);
  const known = sources.filter((source): source is Entry => source !== undefined && destinationOf(source) === destination).map((source) => new Map(secretsOf(source)));
  for (const [path, value] of secretsOf(candidate)) {
    if (typedIn.get(path) === value) continue;
    if (known.some((secrets) => secrets.has(path) && sameValue(secrets.get(path), value))) continue;
    const named = secretsOf(given).some(([at]) => at === path);
    const what = named ? `names ${describe(value)} for ${path}` : `keeps ${path}${isReference(value) ? ` (${describe(value)})` : ''}`;
    throw new GatewayError('invalid_request', `The change ${what} of provider ${provider}, which the gateway would then send where it was not configured to go (another type, baseURL or endpoint, or another provider): type the key itself in the change.`, {
      code: 'secret_destination',
      param: path,
    });
  }
}

function describe(reference: unknown): string {
  const { env, secret } = reference as { env?: string; secret?: string };
  return env !== undefined ? `environment variable ${env}` : `stored secret "${secret}"`;
}
