import { describe, expect, it } from 'vitest';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatCompletionRequest, ChatMessage } from '../../../core/protocol/openai.js';
import { estimatePromptTokens } from 'llm-gateway/plugin';
import { countCompletionTokens, countPromptTokens, encodingFor, preloadEncodings } from '../../../plugins/token-counter/count.js';
import { imageSizeFromDataUrl } from '../../../plugins/token-counter/image-size.js';
import { imagePartTokens, patchCount, tileCount } from '../../../plugins/token-counter/images.js';

// The examples of OpenAI's cookbook "How to count tokens with tiktoken"
// (openai/openai-cookbook, examples/How_to_count_tokens_with_tiktoken.ipynb), whose printed outputs
// were checked there against the API's usage.prompt_tokens.
const COOKBOOK_MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

const COOKBOOK_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
          unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  },
];

const COOKBOOK_TOOL_MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
  { role: 'user', content: "What's the weather like in San Francisco?" },
];

function request(model: string, messages: ChatMessage[], extra: Record<string, unknown> = {}): ChatCompletionRequest {
  return { model, messages, ...extra };
}

/** Tokens of the message `{ role: 'user', content: [text, image] }` apart from the image: 3 per message + "user" + "Look" + 3 reply priming. */
const USER_LOOK_OVERHEAD = 3 + 1 + 1 + 3;

function imageMessage(imageUrl: Record<string, unknown>): ChatMessage[] {
  return [{ role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: imageUrl }] }];
}

// Minimal image headers: enough bytes for the size to be read, as a real upload's first bytes.
function pngDataUrl(width: number, height: number): string {
  const bytes = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes, 0);
  bytes.writeUInt32BE(13, 8);
  bytes.write('IHDR', 12, 'latin1');
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

function gifDataUrl(width: number, height: number): string {
  const bytes = Buffer.alloc(13);
  bytes.write('GIF89a', 0, 'latin1');
  bytes.writeUInt16LE(width, 6);
  bytes.writeUInt16LE(height, 8);
  return `data:image/gif;base64,${bytes.toString('base64')}`;
}

function jpegDataUrl(width: number, height: number): string {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof0 = Buffer.alloc(19);
  sof0.writeUInt16BE(0xffc0, 0);
  sof0.writeUInt16BE(17, 2);
  sof0[4] = 8;
  sof0.writeUInt16BE(height, 5);
  sof0.writeUInt16BE(width, 7);
  return `data:image/jpeg;base64,${Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof0]).toString('base64')}`;
}

function webpDataUrl(width: number, height: number): string {
  const bytes = Buffer.alloc(30);
  bytes.write('RIFF', 0, 'latin1');
  bytes.writeUInt32LE(22, 4);
  bytes.write('WEBPVP8X', 8, 'latin1');
  bytes.writeUInt32LE(10, 16);
  bytes.writeUIntLE(width - 1, 24, 3);
  bytes.writeUIntLE(height - 1, 27, 3);
  return `data:image/webp;base64,${bytes.toString('base64')}`;
}

describe('encodingFor', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-2024-08-06', 'o200k_base'],
    ['openai/gpt-4o-mini', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.1-nano-2025-04-14', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5-mini', 'o200k_base'],
    ['gpt-5.4-2026-03-05', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o1-mini', 'o200k_base'],
    ['o3', 'o200k_base'],
    ['o3-pro', 'o200k_base'],
    ['o4-mini-2025-04-16', 'o200k_base'],
    ['azure/GPT-4o', 'o200k_base'],
    ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo-0125', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['text-embedding-3-large', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['openrouter/openai/gpt-4', 'cl100k_base'],
  ])('%s → %s', (model, encoding) => {
    expect(encodingFor(model)).toBe(encoding);
  });

  it.each(['claude-sonnet-4-5', 'anthropic/claude-haiku-4-5', 'gemini-2.5-pro', 'llama-3.3-70b-versatile', 'deepseek-chat', 'mistral-large-2512', 'davinci-002', 'o5x', 'gpt-oss-120b', ''])(
    '%s → undefined',
    (model) => {
      expect(encodingFor(model)).toBeUndefined();
    },
  );
});

describe('text tokens', () => {
  it('counts "hello world" as 2 tokens in both encodings (reference ids from the tokenizer)', () => {
    expect(encodeO200k('hello world')).toEqual([24912, 2375]);
    expect(encodeCl100k('hello world')).toEqual([15339, 1917]);
    expect(countCompletionTokens('gpt-4o', 'hello world')).toEqual({ tokens: 2, exact: true });
    expect(countCompletionTokens('gpt-4', 'hello world')).toEqual({ tokens: 2, exact: true });
  });

  it('produces the token ids printed in the cookbook', () => {
    expect(encodeCl100k('tiktoken is great!')).toEqual([83, 1609, 5963, 374, 2294, 0]);
    expect(encodeO200k('tiktoken is great!')).toEqual([83, 8251, 2488, 382, 2212, 0]);
    expect(encodeCl100k('antidisestablishmentarianism')).toEqual([519, 85342, 34500, 479, 8997, 2191]);
    expect(encodeO200k('antidisestablishmentarianism')).toEqual([493, 129901, 376, 160388, 21203, 2367]);
    expect(encodeO200k('お誕生日おめでとう')).toEqual([8930, 9697, 243, 128225, 8930, 17693, 4344, 48669]);
  });

  it.each([
    ['tiktoken is great!', 6, 6],
    ['antidisestablishmentarianism', 6, 6],
    ['2 + 2 = 4', 7, 7],
    ['お誕生日おめでとう', 8, 9],
  ])('counts the cookbook string %j as %i (o200k) and %i (cl100k) tokens', (text, o200k, cl100k) => {
    expect(countCompletionTokens('gpt-4o-mini', text)).toEqual({ tokens: o200k, exact: true });
    expect(countCompletionTokens('gpt-3.5-turbo', text)).toEqual({ tokens: cl100k, exact: true });
  });

  it('counts special-token text a user typed as plain text instead of throwing', () => {
    const counted = countCompletionTokens('gpt-4o', 'before <|endoftext|> after');
    expect(counted.exact).toBe(true);
    expect(counted.tokens).toBeGreaterThan(3);
  });

  it('estimates answer text of other models at four characters per token, flagged inexact', () => {
    expect(countCompletionTokens('claude-sonnet-4-5', 'x'.repeat(10))).toEqual({ tokens: 3, exact: false });
    expect(countCompletionTokens('gemini-2.5-flash', '')).toEqual({ tokens: 0, exact: false });
  });
});

describe('chat accounting (cookbook section 6)', () => {
  it.each(['gpt-3.5-turbo', 'gpt-4-0613', 'gpt-4'])('counts the cookbook example as 129 prompt tokens on %s', (model) => {
    expect(countPromptTokens(request(model, COOKBOOK_MESSAGES))).toEqual({ tokens: 129, exact: true });
  });

  it.each(['gpt-4o', 'gpt-4o-mini', 'openai/gpt-4o-2024-08-06'])('counts the cookbook example as 124 prompt tokens on %s', (model) => {
    expect(countPromptTokens(request(model, COOKBOOK_MESSAGES))).toEqual({ tokens: 124, exact: true });
  });

  it('adds 3 per message, the role, the content, the name plus 1, and 3 for the reply', () => {
    const plain = countPromptTokens(request('gpt-4o', [{ role: 'user', content: 'hello world' }]));
    expect(plain).toEqual({ tokens: 3 + 1 + 2 + 3, exact: true });
    const named = countPromptTokens(request('gpt-4o', [{ role: 'user', name: 'hello', content: 'hello world' }]));
    expect(named.tokens).toBe(plain.tokens + 1 + 1);
  });

  it('counts text parts like the same text given as a string', () => {
    const asString = countPromptTokens(request('gpt-4o', [{ role: 'user', content: 'hello world' }]));
    const asParts = countPromptTokens(request('gpt-4o', [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'text', text: ' world' }] }]));
    expect(asParts).toEqual(asString);
  });

  it("counts an assistant's tool calls (name and arguments) and flags the undocumented framing", () => {
    const base = countPromptTokens(request('gpt-4o', [{ role: 'assistant', content: null }]));
    const withCall = countPromptTokens(
      request('gpt-4o', [
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"Paris"}' } }] },
      ]),
    );
    expect(withCall.tokens).toBeGreaterThan(base.tokens);
    expect(withCall.tokens - base.tokens).toBe(
      countCompletionTokens('gpt-4o', 'get_current_weather').tokens + countCompletionTokens('gpt-4o', '{"location":"Paris"}').tokens,
    );
    expect(withCall.exact).toBe(false);
    expect(countPromptTokens(request('gpt-4o', [{ role: 'tool', tool_call_id: 'call_1', content: '18°C' }])).exact).toBe(false);
  });

  it('flags parts it cannot count (audio, files) as inexact', () => {
    const counted = countPromptTokens(request('gpt-4o', [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }]));
    expect(counted.exact).toBe(false);
  });
});

describe('tool definitions (cookbook section 7)', () => {
  it.each([
    ['gpt-3.5-turbo', 105],
    ['gpt-4', 105],
    ['gpt-4o', 101],
    ['gpt-4o-mini', 101],
  ])('counts the cookbook tools example on %s as %i prompt tokens', (model, tokens) => {
    expect(countPromptTokens(request(model, COOKBOOK_TOOL_MESSAGES, { tools: COOKBOOK_TOOLS }))).toEqual({ tokens, exact: true });
  });

  it('approximates nested parameters by also counting their extra schema, and says so', () => {
    const nested = [
      {
        type: 'function',
        function: {
          name: 'book',
          description: 'Book a trip.',
          parameters: { type: 'object', properties: { stops: { type: 'array', description: 'Cities', items: { type: 'string' } } } },
        },
      },
    ];
    const flat = [{ ...nested[0], function: { ...nested[0]!.function, parameters: { type: 'object', properties: { stops: { type: 'array', description: 'Cities' } } } } }];
    const withItems = countPromptTokens(request('gpt-4o', COOKBOOK_TOOL_MESSAGES, { tools: nested }));
    const withoutItems = countPromptTokens(request('gpt-4o', COOKBOOK_TOOL_MESSAGES, { tools: flat }));
    expect(withoutItems.exact).toBe(true);
    expect(withItems.exact).toBe(false);
    expect(withItems.tokens - withoutItems.tokens).toBe(countCompletionTokens('gpt-4o', '{"items":{"type":"string"}}').tokens);
  });

  it('adds nothing for an empty tools list', () => {
    expect(countPromptTokens(request('gpt-4o', COOKBOOK_TOOL_MESSAGES, { tools: [] }))).toEqual(countPromptTokens(request('gpt-4o', COOKBOOK_TOOL_MESSAGES)));
  });
});

describe('images', () => {
  it('reads the size of PNG, JPEG, GIF and WebP data URLs, and not of remote URLs', () => {
    expect(imageSizeFromDataUrl(pngDataUrl(1024, 768))).toEqual({ width: 1024, height: 768 });
    expect(imageSizeFromDataUrl(jpegDataUrl(640, 480))).toEqual({ width: 640, height: 480 });
    expect(imageSizeFromDataUrl(gifDataUrl(32, 16))).toEqual({ width: 32, height: 16 });
    expect(imageSizeFromDataUrl(webpDataUrl(3000, 2000))).toEqual({ width: 3000, height: 2000 });
    expect(imageSizeFromDataUrl('https://example.com/cat.png')).toBeUndefined();
    expect(imageSizeFromDataUrl('data:image/png;base64,bm90IGFuIGltYWdl')).toBeUndefined();
  });

  it("reproduces the worked examples of OpenAI's vision guide", () => {
    expect(tileCount({ width: 1024, height: 1024 })).toBe(4); // 170 × 4 + 85 = 765
    expect(tileCount({ width: 2048, height: 4096 })).toBe(6); // 170 × 6 + 85 = 1105
    expect(patchCount({ width: 1024, height: 1024 })).toBe(1024);
    expect(patchCount({ width: 1800, height: 2400 })).toBe(1452);
  });

  it('costs 85 tokens at low detail whatever the size', () => {
    expect(imagePartTokens('gpt-4o', { url: pngDataUrl(4096, 8192), detail: 'low' })).toEqual({ tokens: 85, exact: true });
    expect(imagePartTokens('gpt-4o', { url: 'https://example.com/a.png', detail: 'low' })).toEqual({ tokens: 85, exact: true });
  });

  it('tiles high-detail images of known size: 765 for 1024×1024, 1105 for 2048×4096, one tile for a small one', () => {
    expect(imagePartTokens('gpt-4o', { url: pngDataUrl(1024, 1024), detail: 'high' })).toEqual({ tokens: 765, exact: true });
    expect(imagePartTokens('gpt-4.1', { url: jpegDataUrl(2048, 4096), detail: 'high' })).toEqual({ tokens: 1105, exact: true });
    expect(imagePartTokens('gpt-4o', { url: pngDataUrl(128, 64), detail: 'high' })).toEqual({ tokens: 255, exact: true });
  });

  it('falls back to the guide’s 1024×1024 example when the size is unknown, flagged inexact', () => {
    expect(imagePartTokens('gpt-4o', { url: 'https://example.com/a.png', detail: 'high' })).toEqual({ tokens: 765, exact: false });
    expect(imagePartTokens('gpt-4o', 'https://example.com/a.png')).toEqual({ tokens: 765, exact: false });
  });

  it('counts detail "auto" (the default) as high, the upper bound, flagged inexact', () => {
    expect(imagePartTokens('gpt-4o', { url: pngDataUrl(1024, 1024) })).toEqual({ tokens: 765, exact: false });
  });

  it("uses gpt-4o-mini's larger documented numbers and the patch rule of the small models", () => {
    expect(imagePartTokens('gpt-4o-mini', { url: pngDataUrl(512, 512), detail: 'low' })).toEqual({ tokens: 2833, exact: true });
    expect(imagePartTokens('gpt-4o-mini', { url: pngDataUrl(512, 512), detail: 'high' })).toEqual({ tokens: 2833 + 5667, exact: true });
    expect(imagePartTokens('gpt-4.1-mini', { url: pngDataUrl(1024, 1024), detail: 'high' })).toEqual({ tokens: Math.ceil(1024 * 1.62), exact: false });
  });

  it('adds the image to the prompt count of the message holding it', () => {
    const counted = countPromptTokens(request('gpt-4o', imageMessage({ url: pngDataUrl(1024, 1024), detail: 'high' })));
    expect(counted).toEqual({ tokens: USER_LOOK_OVERHEAD + 765, exact: true });
    const remote = countPromptTokens(request('openai/gpt-4o-2024-08-06', imageMessage({ url: 'https://example.com/a.png', detail: 'low' })));
    expect(remote).toEqual({ tokens: USER_LOOK_OVERHEAD + 85, exact: true });
  });
});

describe('models without a known tokenizer', () => {
  it.each(['claude-sonnet-4-5', 'gemini-2.5-pro', 'groq/llama-3.3-70b-versatile', 'deepseek-chat'])(
    'uses the kernel estimate for %s and flags it inexact',
    (model) => {
      const req = request(model, COOKBOOK_TOOL_MESSAGES, { tools: COOKBOOK_TOOLS });
      expect(countPromptTokens(req)).toEqual({ tokens: estimatePromptTokens(req), exact: false });
    },
  );
});

describe('loading', () => {
  it('preloads either or both encodings, as often as asked, and counts the same afterwards', () => {
    expect(() => preloadEncodings(['cl100k_base'])).not.toThrow();
    expect(() => preloadEncodings()).not.toThrow();
    expect(() => preloadEncodings()).not.toThrow();
    expect(countCompletionTokens('gpt-4o', 'hello world')).toEqual({ tokens: 2, exact: true });
    expect(countCompletionTokens('gpt-4', 'hello world')).toEqual({ tokens: 2, exact: true });
  });
});

describe('image rules per model family', () => {
  const known = { url: pngDataUrl(1024, 1024), detail: 'high' };
  it.each([
    ['gpt-4o', 765, true],
    ['chatgpt-4o-latest', 765, true],
    ['gpt-4.1-2025-04-14', 765, true],
    ['o3', 75 + 150 * 4, true],
    ['o1', 75 + 150 * 4, false],
    ['gpt-5', 765, false],
    ['gpt-5.4', 765, false],
    ['o4-mini', Math.ceil(1024 * 1.72), false],
    ['gpt-5-nano', Math.ceil(1024 * 2.46), false],
  ])('%s: %i tokens for a known 1024×1024 high-detail image (exact: %s)', (model, tokens, exact) => {
    expect(imagePartTokens(model, known)).toEqual({ tokens, exact });
  });

  it('ignores detail on patch models', () => {
    expect(imagePartTokens('gpt-4.1-nano', { url: pngDataUrl(64, 64), detail: 'low' })).toEqual({ tokens: Math.ceil(4 * 2.46), exact: false });
  });
});
