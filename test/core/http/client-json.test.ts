/**
 * The body that goes upstream is written from the client's own bytes where they still say what
 * the body says (core/http/client-json.ts). Whatever a plugin or a translation did to the body, in
 * place or not, what is sent must mean exactly what `JSON.stringify` of it means; and the client's
 * bytes are never used where they could be read otherwise (a key written twice).
 */
import { describe, expect, it } from 'vitest';
import { ClientJson } from '../../../core/http/client-json.js';
import { checkJsonShape } from '../../../core/http/json-shape.js';
import { seededRandom } from '../../support/seeded-random.js';

const LIMITS = { maxDepth: 64, maxArrayLength: 100_000, maxStringLength: 10_000_000 };

function capture(text: string) {
  return captureBytes(Buffer.from(text));
}

function captureBytes(bytes: Buffer) {
  const text = bytes.toString('utf8');
  const body = JSON.parse(text) as Record<string, unknown>;
  return { body, json: ClientJson.capture(bytes, text, checkJsonShape(text, LIMITS), body, 0) };
}

/** What `encode` wrote, as text. */
const decoded = (encoded: string | Buffer) => (typeof encoded === 'string' ? encoded : encoded.toString('utf8'));

/** What is sent for `body`: the bytes `encode` joins say exactly what `stringify` writes. */
function written(json: ClientJson, body: object): string {
  const text = json.stringify(body);
  expect(decoded(json.encode(body))).toBe(text);
  return text;
}

const conversation = {
  model: 'openai/gpt-4o',
  stream: true,
  temperature: 0.2,
  messages: [
    { role: 'system', content: 'Be brief. "Quoted", \\ back, \u00e9, emoji 🎉, {braces}, [brackets], commas, colons: yes' },
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read', arguments: '{"path":"a.ts"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'export const a = 1;' },
  ],
  tools: [{ type: 'function', function: { name: 'read', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } }],
  stop: ['\n\n'],
  metadata: {},
  n: 1,
  seed: null,
};

describe('ClientJson', () => {
  it('sends an unchanged body as the client wrote it, whitespace and escapes included', () => {
    const text = JSON.stringify(conversation, null, 2).replace('"look"', '"l\\u006fok"');
    const { body, json } = capture(text);
    expect(json).toBeDefined();
    const sent = written(json!, body);
    expect(JSON.parse(sent)).toEqual(body);
    // The client's own bytes: its escape and its indentation, which JSON.stringify would not write.
    expect(sent).toContain('"l\\u006fok"');
    expect(sent).toContain('"messages": [\n    {\n      "role": "system"');
  });

  it('writes the client text byte for byte for a compact body, and serialises only what changed', () => {
    const text = JSON.stringify(conversation);
    const { body, json } = capture(text);
    expect(written(json!, body)).toBe(text);
    const upstream = { ...body, model: 'gpt-4o' };
    expect(written(json!, upstream)).toBe(JSON.stringify(upstream));
  });

  it('says what JSON.stringify says after any edit, in place or not, at any depth', () => {
    const edits: Array<(b: any) => void> = [
      (b) => (b.model = 'gpt-4o'),
      (b) => (b.stream_options = { include_usage: true }),
      (b) => delete b.temperature,
      (b) => (b.temperature = undefined),
      (b) => (b.messages[1].content[0].text = 'LOOK'),
      (b) => (b.messages[1].content[0].text = 'lool'),
      (b) => b.messages.push({ role: 'user', content: 'more' }),
      (b) => b.messages.pop(),
      (b) => (b.messages[2].tool_calls[0].function.arguments = '{}'),
      (b) => (b.messages[2].content = ''),
      (b) => delete b.messages[3].tool_call_id,
      (b) => (b.messages[3].extra = undefined),
      (b) => (b.tools[0].function.parameters.required = []),
      (b) => (b.tools[0].function.parameters = { ...b.tools[0].function.parameters }),
      (b) => (b.stop[0] = '\n'),
      (b) => (b.metadata.user = 'u1'),
      (b) => (b.n = 2),
      (b) => (b.n = '1'),
      (b) => (b.seed = 0),
      (b) => (b.messages[0] = { content: b.messages[0].content, role: 'system' }),
      (b) => (b.messages = [...b.messages].reverse()),
      (b) => (b.created = new Date(0)),
    ];
    for (const [i, edit] of edits.entries()) {
      const { body, json } = capture(JSON.stringify(conversation, null, 1));
      edit(body);
      const sent = written(json!, body);
      expect(JSON.parse(sent), `edit ${i}: ${edit.toString()}`).toEqual(JSON.parse(JSON.stringify(body)));
    }
  });

  it('works for a body that is not the one the client sent (a translation, a spread)', () => {
    const { body, json } = capture(JSON.stringify(conversation));
    const translated = { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true };
    expect(JSON.parse(written(json!, translated))).toEqual(translated);
    const spread = { ...body, ...{ temperature: 0.2, top_p: 1 }, model: 'x' };
    expect(JSON.parse(written(json!, spread))).toEqual(spread);
  });

  it('keeps nothing when a key is written twice, at the top or deeper', () => {
    expect(capture('{"model":"a","model":"b","messages":[]}').json).toBeUndefined();
    expect(capture('{"model":"a","messages":[{"role":"user","content":"x","content":"y"}]}').json).toBeUndefined();
    expect(capture('{"model":"a","messages":[{"role":"user","content":"x"}]}').json).toBeDefined();
  });

  it('keeps nothing when a top-level key is written with escapes, or the body is not an object', () => {
    expect(capture('{"mod\\u0065l":"a","messages":[]}').json).toBeUndefined();
    expect(ClientJson.capture(Buffer.from('[1,2]'), '[1,2]', checkJsonShape('[1,2]', LIMITS), {}, 0)).toBeUndefined();
  });

  it('keeps nothing of a body nested deeper than 64 levels, however deep the body limits allow', () => {
    const nested = (depth: number) => `{"model":"m","deep":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
    const deepLimits = { ...LIMITS, maxDepth: 100_000 };
    const kept = (text: string) => ClientJson.capture(Buffer.from(text), text, checkJsonShape(text, deepLimits), JSON.parse(text) as Record<string, unknown>, 0);
    expect(kept(nested(62))).toBeDefined();
    expect(kept(nested(70))).toBeUndefined();
    expect(kept(nested(50_000))).toBeUndefined();
  });

  it('is not fooled by colons, braces and quotes inside strings', () => {
    const text = '{"a":"x:y,{\\"b\\":1}","c":{"d":"}:,"},"e":[":",{"f":"\\\\"}]}';
    const { body, json } = capture(text);
    expect(written(json!, body)).toBe(text);
    (body.c as { d: string }).d = 'changed';
    expect(JSON.parse(written(json!, body))).toEqual(body);
  });

  it("joins a large body from the client's bytes, whatever its characters, and says what JSON.stringify says", () => {
    const long = (mark: string) => `${mark} ${'export const a = "x"; // ok\n'.repeat(600)}`;
    for (const extra of ['', 'café ✓ 🎉 ', '\u2028']) {
      const big = { ...conversation, messages: [...conversation.messages, { role: 'user', content: extra + long('first') }, { role: 'assistant', content: long(`second ${extra}`) }] };
      for (const indent of [undefined, 2]) {
        const text = JSON.stringify(big, null, indent);
        const { body, json } = capture(text);
        const upstream = { ...body, model: 'gpt-4o', stream_options: { include_usage: true } };
        const encoded = json!.encode(upstream);
        expect(Buffer.isBuffer(encoded), `${extra} ${indent}`).toBe(true);
        expect(JSON.parse(decoded(encoded))).toEqual(JSON.parse(JSON.stringify(upstream)));
        if (indent === undefined) expect(decoded(encoded)).toBe(JSON.stringify(upstream));
        // Edited deep in place: that field is written afresh, the others still the client's.
        (body.messages as Array<{ content: string }>)[4]!.content = 'short';
        expect(JSON.parse(decoded(json!.encode(body)))).toEqual(JSON.parse(JSON.stringify(body)));
      }
    }
  });

  it('sends a large body whose bytes were not all UTF-8 as text: the decoded text is what the gateway read', () => {
    const text = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `${'a'.repeat(10_000)}@@` }], note: 'é' });
    const bytes = Buffer.from(text);
    const at = bytes.indexOf('@@');
    bytes[at] = 0xff;
    bytes[at + 1] = 0xc3;
    const { body, json } = captureBytes(bytes);
    const encoded = json!.encode({ ...body, model: 'n' });
    expect(typeof encoded).toBe('string');
    expect(JSON.parse(decoded(encoded))).toEqual({ ...body, model: 'n' });
  });

  it('keeps no small body: serialising one costs less than recording it', () => {
    const small = JSON.stringify(conversation);
    const body = JSON.parse(small) as Record<string, unknown>;
    expect(ClientJson.capture(Buffer.from(small), small, checkJsonShape(small, LIMITS), body)).toBeUndefined();
    const large = JSON.stringify({ ...conversation, note: 'x'.repeat(8 * 1024) });
    expect(ClientJson.capture(Buffer.from(large), large, checkJsonShape(large, LIMITS), JSON.parse(large) as Record<string, unknown>)).toBeDefined();
  });

  it('agrees with JSON.stringify on random bodies and random edits', () => {
    const { random, pick } = seededRandom(7);
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.4) return pick<unknown>(['a', 'b"q', '', 0, 1.5, -2, true, false, null, 'é🎉', '\\']);
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [pick(['k', 'l', 'm']) + i, value(depth + 1)]));
    };
    const edit = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const keys = Object.keys(node);
      if (keys.length === 0 || random() < 0.3) {
        if (Array.isArray(node)) node.push(value(3));
        else (node as Record<string, unknown>)[`n${keys.length}`] = value(3);
        return;
      }
      const key = pick(keys);
      if (random() < 0.5) edit((node as Record<string, unknown>)[key]);
      else if (random() < 0.5) (node as Record<string, unknown>)[key] = value(2);
      else if (!Array.isArray(node)) delete (node as Record<string, unknown>)[key];
    };
    for (let i = 0; i < 2000; i++) {
      const original = Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 5) }, (_, k) => [`f${k}`, value(0)]));
      const text = random() < 0.5 ? JSON.stringify(original) : JSON.stringify(original, null, 2);
      const { body, json } = capture(text);
      expect(json).toBeDefined();
      if (random() < 0.8) edit(body);
      expect(JSON.parse(written(json!, body))).toEqual(JSON.parse(JSON.stringify(body)));
      expect(JSON.parse(decoded(json!.encode(body)))).toEqual(JSON.parse(JSON.stringify(body)));
    }
  });
});
