/**
 * A front-end answers failures in its API's own error format on its POST paths, below them, and on
 * the other paths of its surface it names in `errorPaths` (a GET route its plugin adds); the most
 * specific claim wins; everything else stays in OpenAI's format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, definePlugin, defineFrontEnd } from '../../../sdk/plugin.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';

const api = (name: string, paths: string[], errorPaths?: string[]) =>
  defineFrontEnd({
    endpoint: name,
    paths,
    ...(errorPaths ? { errorPaths } : {}),
    parse: () => {
      throw new GatewayError('invalid_request', `${name} refuses`);
    },
    renderJson: (_ctx, answer) => answer,
    renderStream: async function* () {},
    renderError: (error) => ({ api: name, error: error.message }),
  });

const surfaces = definePlugin({
  name: 'test-error-surfaces',
  setup(host) {
    host.frontEnd(api('broad', ['/api/chat'], ['/api']));
    host.frontEnd(api('narrow', ['/api/special/run']));
    host.route({
      method: 'GET',
      path: '/api/list',
      handler: () => {
        throw new GatewayError('unavailable', 'listing is down');
      },
    });
  },
});

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway({ plugins: [surfaces()] });
});
afterAll(async () => {
  await gw?.close();
});

describe('errorPaths', () => {
  it('answers a failing GET route of the surface in the API\'s format, with its status', async () => {
    const res = await fetch(`${gw.url}/api/list`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ api: 'broad', error: 'listing is down' });
  });

  it('answers unknown paths of the surface in the API\'s format', async () => {
    const res = await fetch(`${gw.url}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ api: 'broad' });
  });

  it('lets the most specific claim answer', async () => {
    const res = await fetch(`${gw.url}/api/special/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ api: 'narrow', error: 'narrow refuses' });
  });

  it('leaves other paths in OpenAI\'s format', async () => {
    const res = await fetch(`${gw.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'not_found_error' } });
  });
});
