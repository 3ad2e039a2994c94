/**
 * Microsoft Entra ID tokens for Azure OpenAI, for resources that allow no keys (managed identity,
 * workload identity, a service principal, `az login`). Getting and refreshing a token is
 * `@azure/identity`'s job: `DefaultAzureCredential` tries each source Azure documents, and
 * `getBearerTokenProvider` keeps the token and renews it before it expires, so asking it on every
 * request costs an await, not a round trip. The package is an optional peer dependency: only a
 * gateway that uses Entra ID installs it (`npm install @azure/identity`).
 */
import { createRequire } from 'node:module';
import { ConfigError, GatewayError, isGatewayError, type Logger } from 'llm-gateway/plugin';

/** The scope of Azure OpenAI and Foundry in Azure's public cloud; sovereign clouds have their own. */
export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** How long a request waits for a token: a black-holed identity endpoint must not hold it for ever. */
export const TOKEN_TIMEOUT_MS = 10_000;

/** A failure is logged at most this often (every request of a provider fails alike meanwhile). */
const LOG_EVERY_MS = 60_000;

interface AzureIdentity {
  DefaultAzureCredential: new () => object;
  getBearerTokenProvider(credential: object, scopes: string | string[]): () => Promise<string>;
}

/**
 * A function that answers a bearer token for `scope`, or fails with a GatewayError naming the
 * provider: retryable, since another target may not need Entra ID at all.
 */
export function entraIdTokens(provider: string, scope: string, logger: Logger, timeoutMs = TOKEN_TIMEOUT_MS): () => Promise<string> {
  const identity = loadAzureIdentity(provider);
  const getToken = identity.getBearerTokenProvider(new identity.DefaultAzureCredential(), scope);
  let loggedAt = -Infinity;
  let loggedReason = '';

  const failed = (reason: string, cause?: unknown): GatewayError => {
    const now = Date.now();
    // The reason stays in the gateway's log: it names the identity sources this machine has.
    if (reason !== loggedReason || now - loggedAt >= LOG_EVERY_MS) {
      logger.warn('no Microsoft Entra ID token for the provider', { provider, scope, reason });
      loggedAt = now;
      loggedReason = reason;
    }
    return new GatewayError('upstream', `${provider}: the gateway could not get a Microsoft Entra ID token for this provider.`, { provider, code: 'upstream_auth_failed', retryable: true, cause });
  };

  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(failed(`no token within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const token = await Promise.race([getToken(), deadline]);
      if (typeof token !== 'string' || token === '') throw failed('the credential answered no token');
      return token;
    } catch (error) {
      if (isGatewayError(error)) throw error;
      throw failed(error instanceof Error ? error.message : String(error), error);
    } finally {
      clearTimeout(timer);
    }
  };
}

function loadAzureIdentity(provider: string): AzureIdentity {
  // Resolved from where the gateway is installed, so the user's own `npm install @azure/identity` is found.
  const require = createRequire(import.meta.url);
  try {
    return require('@azure/identity') as AzureIdentity;
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw cause;
    throw new ConfigError('invalid provider config', [`config/providers/${provider}/entraId needs the package @azure/identity, which is not installed: run \`npm install @azure/identity\` where the gateway is installed`]);
  }
}
