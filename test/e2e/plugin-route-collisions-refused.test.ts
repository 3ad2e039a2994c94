/**
 * A plugin adds a route with `host.route`, or a whole API with `host.frontEnd`, on a path the
 * gateway or another plugin already serves. Before its fix, the gateway started without a word and
 * the router ran whichever came first: a plugin's `GET /health` or `GET /v1/models` silently
 * replaced the kernel's own (the probe orchestrators call; the listing `modelVisibility` filters),
 * and a second route, or a front-end on `/v1/chat/completions`, silently never ran. Plugins listed
 * twice, services provided twice and provider types added twice were already refused at start,
 * naming them. Now a route on the same method and path pattern as another (any case, a trailing
 * slash or not, whatever its parameters are named), and a front-end on a path already served, are
 * refused the same way, naming both plugins (or the gateway's own routes). What does not clash
 * still starts: another method on the same path, every first-party plugin and example package
 * together, and a gate over a kernel route (the Anthropic plugin's model list, which is a gate,
 * not a route).
 */
import Anthropic from '@anthropic-ai/sdk';
import ollamaApi from 'llm-gateway-plugin-ollama-api';
import promptGuard from 'llm-gateway-plugin-prompt-guard';
import cohere from 'llm-gateway-plugin-provider-cohere';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFrontEnd, definePlugin, type GatewayPlugin, type RouteDefinition } from 'llm-gateway/plugin';
import { startGateway, startMockUpstream, type MockUpstream } from 'llm-gateway/testing';
import { NAMED_PLUGINS } from '../../index.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => upstream?.close());

const ADMIN = 'route-claims-admin-key-0123456789';

/** `started` with what GET /health answered, or `refused: <message>`. */
async function startWith(plugins: GatewayPlugin[]): Promise<string> {
  try {
    const gw = await startGateway({ server: { adminKey: ADMIN }, providers: { m: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins });
    const health = await (await fetch(`${gw.url}/health`)).text();
    await gw.close();
    return `started; /health answered ${health}`;
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

const withRoutes = (name: string, ...routes: Array<Pick<RouteDefinition, 'method' | 'path'>>) =>
  definePlugin({ name, setup: (host) => routes.forEach((route) => host.route({ ...route, access: 'public', handler: (http) => void (http.body = { by: name }) })) })();

const frontEndOn = (endpoint: string, paths: string[]) =>
  defineFrontEnd({
    endpoint, paths,
    parse: (body) => ({ operation: 'chat', request: body as never }),
    renderJson: () => ({ mine: true }),
    async *renderStream() {},
    renderError: (error) => ({ error: error.message }),
  });
const withFrontEnd = (name: string, endpoint: string, paths: string[]) => definePlugin({ name, setup: (host) => host.frontEnd(frontEndOn(endpoint, paths)) })();

describe("a route on the gateway's own paths", () => {
  it.each([
    ['GET', '/health'],
    ['GET', '/ready'],
    ['GET', '/v1/models'],
    ['GET', '/V1/Models/'],
    ['GET', '/v1/models/*id'],
    ['GET', '/v1/providers/:name/health'],
  ] as const)('%s %s is refused at start, naming the plugin and the gateway', async (method, path) => {
    const outcome = await startWith([withRoutes('my-status', { method, path })]);
    expect(outcome).toMatch(/^refused: plugin my-status failed in setup: /);
    expect(outcome).toContain(`${method} ${path} is served already, by the gateway's own routes: plugin "my-status" cannot serve it too`);
  });

  it('another method on the same path still starts, and the kernel keeps its own', async () => {
    expect(await startWith([withRoutes('my-status', { method: 'POST', path: '/health' })])).toBe('started; /health answered {"status":"ok"}');
  });
});

describe("a route on another route's path", () => {
  it("another plugin's is refused, naming both plugins", async () => {
    const outcome = await startWith([withRoutes('first', { method: 'GET', path: '/my/thing/:id' }), withRoutes('second', { method: 'GET', path: '/my/Thing/:key/' })]);
    expect(outcome).toContain('plugin second failed in setup: GET /my/Thing/:key/ is served already, by plugin "first": plugin "second" cannot serve it too');
  });

  it("the plugin's own, twice, is refused", async () => {
    const outcome = await startWith([withRoutes('two-routes', { method: 'GET', path: '/my/thing' }, { method: 'GET', path: '/my/thing' })]);
    expect(outcome).toContain('GET /my/thing is served already, by plugin "two-routes" itself, once already');
  });

  it('on another method, or another path, starts', async () => {
    const outcome = await startWith([withRoutes('first', { method: 'GET', path: '/my/thing' }, { method: 'GET', path: '/my/thing/:id' }), withRoutes('second', { method: 'DELETE', path: '/my/thing' })]);
    expect(outcome).toMatch(/^started/);
  });
});

describe('a front-end on a path already served', () => {
  it("/v1/chat/completions (gateway:openai's) is refused, naming both", async () => {
    const outcome = await startWith([withFrontEnd('my-chat-front-end', 'my-chat', ['/v1/chat/completions'])]);
    expect(outcome).toContain('POST /v1/chat/completions is served already, by plugin "gateway:openai" (front-end chat.completions): plugin "my-chat-front-end" (front-end my-chat) cannot serve it too');
  });

  it("another plugin's front-end path is refused", async () => {
    const outcome = await startWith([withFrontEnd('api-one', 'one', ['/api/one']), withFrontEnd('api-two', 'two', ['/api/two', '/API/one/'])]);
    expect(outcome).toContain('POST /API/one/ is served already, by plugin "api-one" (front-end one): plugin "api-two" (front-end two) cannot serve it too');
  });

  it("a plugin's POST route on a front-end's path (which the front-end then never answered) is refused", async () => {
    const outcome = await startWith([withRoutes('my-messages', { method: 'POST', path: '/v1/messages' })]);
    expect(outcome).toContain('POST /v1/messages is served already, by plugin "gateway:anthropic" (front-end messages): plugin "my-messages" cannot serve it too');
  });
});

describe('what does not clash', () => {
  it('every first-party plugin and the example packages start together', async () => {
    const options: Record<string, unknown> = { 'gateway:auth': { adminKey: ADMIN }, 'gateway:rules': { rules: [{ name: 'batch', when: { headers: { 'x-tier': 'batch' } }, route: 'm/one' }] } };
    const all = Object.entries(NAMED_PLUGINS).map(([name, factory]) => (factory as (options?: unknown) => GatewayPlugin)(options[name]));
    const outcome = await startWith([...all, ollamaApi(), promptGuard({ deny: ['secret'] }), cohere()]);
    expect(outcome).toBe('started; /health answered {"status":"ok"}');
  });

  it("the Anthropic plugin's gate over the kernel's GET /v1/models still answers Anthropic's clients", async () => {
    const gw = await startGateway({ providers: { m: { type: 'openai-compatible', baseURL: upstream.baseURL, models: ['one'] } } });
    try {
      const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
      const page = await anthropic.models.list();
      expect(page.data.map((model) => model.type)).toContain('model');
      const openaiShape = (await (await fetch(`${gw.url}/v1/models`)).json()) as { object: string };
      expect(openaiShape.object).toBe('list');
    } finally {
      await gw.close();
    }
  });
});
