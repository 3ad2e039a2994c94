/**
 * The tokenizer's tables (about 85 MB) load at start only when the config will need them; a
 * gateway serving other models never loads them, and one that meets an OpenAI model in a request
 * loads that one encoding then.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tokenCounter } from '../../../index.js';
import { encodingsTheConfigNeeds } from '../../../plugins/token-counter/index.js';
import { countPromptTokens } from '../../../plugins/token-counter/count.js';
import { loadedEncodings } from '../../../plugins/token-counter/encodings.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';

const provider = (type: string, models?: string[]) => ({ id: type, options: { type, ...(models ? { models } : {}) } });
const virtual = (...models: string[]) => ({ name: 'v', strategy: 'fallback', targets: models.map((model) => ({ provider: 'p', model, weight: 1, priority: 0 })) });

describe('which encodings a config needs', () => {
  it.each<[string, Parameters<typeof encodingsTheConfigNeeds>[0], string[]]>([
    ['an OpenAI provider: both', { providers: [provider('openai')], models: new Map() }, ['o200k_base', 'cl100k_base']],
    ['an Azure provider: both', { providers: [provider('openai-compatible'), provider('azure')], models: new Map() }, ['o200k_base', 'cl100k_base']],
    ['OpenAI models listed on a compatible host', { providers: [provider('openai-compatible', ['gpt-4o-mini', 'llama-3.1-8b'])], models: new Map() }, ['o200k_base']],
    ['a virtual model with a gpt-3.5 target', { providers: [provider('anthropic')], models: new Map([['v', virtual('claude-sonnet-4-5', 'gpt-3.5-turbo')]]) }, ['cl100k_base']],
    ['no OpenAI model anywhere: none', { providers: [provider('anthropic'), provider('openai-compatible', ['llama-3.1-8b'])], models: new Map([['v', virtual('gemini-2.5-flash')]]) }, []],
  ])('%s', (_name, config, expected) => expect(encodingsTheConfigNeeds(config)).toEqual(expected));
});

describe('preload: auto', () => {
  let gw: RunningGateway | undefined;
  afterAll(() => gw?.close());

  it('loads nothing at start for a gateway without OpenAI models, and an encoding when a model first needs it', async () => {
    gw = await startGateway({ providers: { local: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', listModels: false, models: ['llama-3.1-8b'] } }, plugins: [tokenCounter()] });
    expect(loadedEncodings()).toEqual([]);
    expect(countPromptTokens({ model: 'local/gpt-4o', messages: [{ role: 'user', content: 'hello' }] }).exact).toBe(true);
    expect(loadedEncodings()).toEqual(['o200k_base']);
  });
});
