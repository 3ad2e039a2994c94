/**
 * Microsoft Entra ID tokens for Azure OpenAI, for resources that allow no keys (managed identity,
 * workload identity, a service principal, `az login`). Finding the identity and asking for a token
 * is `@azure/identity`'s job (`DefaultAzureCredential` tries each source Azure documents); the
 * package is an optional peer dependency, installed only by a gateway that uses Entra ID
 * (`npm install @azure/identity`).
 *
 * The token is kept here, not by the package's `getBearerTokenProvider`: that one hands every
 * caller the renewal under way, which has no deadline, so one identity request that never
 * answered left the provider failing until a restart. Here a renewal has a deadline, after which
 * the credential is made anew (its request may still hang), and a token is renewed in the
 * background before it expires, while the one in hand still serves.
 */
import { createRequire } from 'node:module';
import { ConfigError, GatewayError, isGatewayError, rarely, type Logger } from 'llm-gateway/plugin';

/** The scope of Azure OpenAI and Foundry in Azure's public cloud; sovereign clouds have their own. */
export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** How long a request waits for a token: a black-holed identity endpoint must not hold it for ever. */
export const TOKEN_TIMEOUT_MS = 10_000;

/** A token is renewed this long before it expires (or when its issuer says), in the background. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** A token this close to expiry is not sent: the request could outlive it. */
const UNUSABLE_BEFORE_EXPIRY_MS = 30_000;
/** A failure is logged at most this often a provider (each request of it fails alike meanwhile). */
const LOG_EVERY_MS = 60_000;

interface AccessToken {
  token: string;
  expiresOnTimestamp: number;
  refreshAfterTimestamp?: number;
}

interface TokenCredential {
  getToken(scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<AccessToken | null>;
}

interface AzureIdentity {
  DefaultAzureCredential: new () => TokenCredential;
}

/**
 * A function that answers a bearer token for `scope`, or fails with a GatewayError naming the
 * provider: retryable, since another target may not need Entra ID at all.
 */
export function entraIdTokens(provider: string, scope: string, logger: Logger, timeoutMs = TOKEN_TIMEOUT_MS): () => Promise<string> {
  const identity = loadAzureIdentity(provider);
  let credential = new identity.DefaultAzureCredential();
  let held: AccessToken | undefined;
  let renewing: Promise<AccessToken> | undefined;
  const log = failureLog(provider, scope, logger);

  const failed = (reason: string, cause?: unknown): GatewayError => {
    log(reason);
    return new GatewayError('upstream', `${provider}: the gateway could not get a Microsoft Entra ID token for this provider.`, { provider, code: 'upstream_auth_failed', retryable: true, cause });
  };

  const askForToken = async (): Promise<AccessToken> => {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        // Whatever it was waiting on may never end: the next renewal starts from a new credential.
        credential = new identity.DefaultAzureCredential();
        reject(failed(`no token within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const token = await Promise.race([credential.getToken(scope, { abortSignal: abort.signal }), deadline]);
      if (!token || typeof token.token !== 'string' || token.token === '') throw failed('the credential answered no token');
      held = token;
      return token;
    } catch (error) {
      if (isGatewayError(error)) throw error;
      throw failed(error instanceof Error ? error.message : String(error), error);
    } finally {
      clearTimeout(timer);
    }
  };
  // One renewal at a time, whoever asks.
  const renew = (): Promise<AccessToken> =>
    (renewing ??= askForToken().finally(() => {
      renewing = undefined;
    }));

  return async () => {
    const now = Date.now();
    if (held !== undefined && now < held.expiresOnTimestamp - UNUSABLE_BEFORE_EXPIRY_MS) {
      // Renewed behind the requests it serves; a failure there is logged, and the token in hand still serves.
      if (now >= (held.refreshAfterTimestamp ?? held.expiresOnTimestamp - RENEW_BEFORE_EXPIRY_MS)) renew().catch(() => undefined);
      return held.token;
    }
    return (await renew()).token;
  };
}

/**
 * Logs why no token came, at most once a minute a provider (`rarely`): the reasons of one cause
 * differ from request to request (MSAL writes each answer's correlation id and time into them).
 */
function failureLog(provider: string, scope: string, logger: Logger): (reason: string) => void {
  const once = rarely<'no token'>(LOG_EVERY_MS);
  // The reason stays in the gateway's log: it names the identity sources this machine has.
  return (reason) => once('no token', (notLogged) => logger.warn('no Microsoft Entra ID token for the provider', { provider, scope, reason, ...(notLogged ? { failuresNotLogged: notLogged } : {}) }));
}

function loadAzureIdentity(provider: string): AzureIdentity {
  // Resolved from where the gateway is installed, so the user's own `npm install @azure/identity` is found.
  const require = createRequire(import.meta.url);
  try {
    return require('@azure/identity') as AzureIdentity;
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw cause;
    throw new ConfigError('invalid provider config', [`config/providers/${provider}/entraId needs the package @azure/identity, which is not installed: run \`npm install @azure/identity\` where the gateway is installed, or give the provider an apiKey (AZURE_OPENAI_API_KEY, for the provider made from AZURE_OPENAI_ENDPOINT)`]);
  }
}
