/**
 * An identity endpoint that hangs once, then recovers. Before its fix (found by a review of the
 * Entra ID change): @azure/identity's `getBearerTokenProvider` hands every caller the renewal under
 * way, which has no deadline, so after one request to the identity endpoint that never answered,
 * every request waited out the gateway's deadline and got a 502 until a restart, the endpoint
 * healthy again and never asked. In a file of its own: MSAL keeps what it read of the environment
 * for the life of the process (test/support/identity-endpoint.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { entraIdTokens } from '../../plugins/azure/entra-id.js';
import { startIdentityEndpoint, withIdentityEnvironment, type IdentityEndpoint } from '../support/identity-endpoint.js';

let identity: IdentityEndpoint;
let restoreEnvironment: () => void;

beforeAll(async () => {
  identity = await startIdentityEndpoint();
  restoreEnvironment = withIdentityEnvironment(identity);
});
afterAll(async () => {
  await identity?.close();
  restoreEnvironment?.();
});

describe('an identity endpoint that hangs once, then recovers', () => {
  it('is asked again, and its token used, once it answers', async () => {
    identity.failWith = 'never';
    const token = entraIdTokens('keyless', 'https://cognitiveservices.azure.com/.default', silentLogger, 300);
    await expect(token()).rejects.toMatchObject({ code: 'upstream_auth_failed' });
    identity.failWith = undefined;
    const before = identity.requests.length;
    // A few requests, a second apart, as clients would keep coming.
    let got: unknown;
    for (let i = 0; i < 6 && typeof got !== 'string'; i++) {
      got = await token().catch((e: unknown) => e);
      if (typeof got !== 'string') await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(identity.requests.length).toBeGreaterThan(before);
    expect(got).toMatch(/^entra-token-\d+$/);
  }, 20_000);
});
