/**
 * An identity endpoint as App Service runs one beside an app (IDENTITY_ENDPOINT and IDENTITY_HEADER,
 * https://learn.microsoft.com/azure/app-service/overview-managed-identity), for the real
 * `@azure/identity` to get Microsoft Entra ID tokens from in tests. MSAL keeps what it read of the
 * environment and the tokens it got for the life of the process (by scope): a test file that needs
 * the endpoint to behave otherwise from the start runs in a file of its own.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/** A token per request (counted), the status `failWith` says, or (`failWith: 'never'`) no answer at all. */
export interface IdentityEndpoint {
  url: string;
  requests: Array<{ url: string; secretHeader: string | undefined }>;
  failWith: number | 'never' | undefined;
  close(): Promise<void>;
}

export async function startIdentityEndpoint(): Promise<IdentityEndpoint> {
  const endpoint: IdentityEndpoint = { url: '', requests: [], failWith: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    endpoint.requests.push({ url: req.url ?? '', secretHeader: req.headers['x-identity-header'] as string | undefined });
    res.setHeader('content-type', 'application/json');
    if (endpoint.failWith === 'never') return;
    if (endpoint.failWith !== undefined) {
      res.statusCode = endpoint.failWith;
      // As App Service's endpoint answers: a fresh correlation id each time, which MSAL writes into its message.
      res.end(JSON.stringify({ statusCode: endpoint.failWith, message: 'Unable to load the proper Managed Identity.', correlationId: randomUUID() }));
      return;
    }
    res.end(JSON.stringify({ access_token: `entra-token-${endpoint.requests.length}`, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: 'https://cognitiveservices.azure.com', token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/msi/token`;
  endpoint.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A request left unanswered (`never`) would hold close() for ever.
      server.closeAllConnections();
    });
  return endpoint;
}

const VARIABLES = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_TOKEN_CREDENTIALS'] as const;

/**
 * Points DefaultAzureCredential at `endpoint` (it reads the environment when it is made: call this
 * before the gateway starts), with only managed identity in its chain, as an operator pins it on a
 * server (so no `az login` of whoever runs the tests is used). Returns what puts the environment back.
 */
export function withIdentityEnvironment(endpoint: IdentityEndpoint): () => void {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  process.env.IDENTITY_ENDPOINT = endpoint.url;
  process.env.IDENTITY_HEADER = 'identity-header-secret';
  process.env.AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential';
  return () => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  };
}
