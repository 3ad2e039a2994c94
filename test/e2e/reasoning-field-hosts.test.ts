/**
 * A thinking model on an OpenAI-format host that names its reasoning `reasoning`, not DeepSeek's
 * `reasoning_content`: OpenRouter ("Reasoning tokens will appear in the reasoning field of each
 * message", openrouter.ai/docs/use-cases/reasoning-tokens; `delta.reasoning` when streamed), Groq
 * with `reasoning_format: "parsed"` (`message.reasoning`, groq-python's ChatCompletionMessage),
 * NanoGPT (`delta.reasoning`, "or legacy reasoning_content").
 *
 * Before its fix the gateway read only `reasoning_content`: an Anthropic client (Claude Code) or a
 * Responses client (Codex) served by such a host got no thinking at all, whole or streamed. Now
 * every reader takes either name (`reasoningTextOf`, core/protocol/reasoning-text.ts), and nothing
 * is written into the host's objects: an OpenAI client gets the host's own text.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { host: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const THOUGHT = 'The user greets me; I greet back.';

function wholeAnswer() {
  const body = completion({ content: 'Hello!' }) as { choices: Array<{ message: Record<string, unknown> }> };
  body.choices[0]!.message.reasoning = THOUGHT;
  return { body };
}

function streamedAnswer() {
  return {
    stream: {
      chunks: [
        chunk({ role: 'assistant', content: '', reasoning: 'The user greets me; ' }),
        chunk({ reasoning: 'I greet back.' }),
        chunk({ content: 'Hello!' }),
        chunk({}, 'stop'),
      ],
    },
  };
}

describe('thinking from a host that writes `reasoning`', () => {
  it('an Anthropic client gets it as a thinking block (whole answer)', async () => {
    upstream.enqueue(wholeAnswer());
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.create({ model: 'host/some-thinker', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(THOUGHT);
  });

  it('an Anthropic client gets it as a thinking block (stream)', async () => {
    upstream.enqueue(streamedAnswer());
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.stream({ model: 'host/some-thinker', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(THOUGHT);
  });

  it('a Responses client gets a reasoning item (whole answer and stream)', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const reasoningText = (output: OpenAI.Responses.ResponseOutputItem[]) =>
      output
        .filter((item): item is OpenAI.Responses.ResponseReasoningItem => item.type === 'reasoning')
        .flatMap((item) => [...item.summary.map((part) => part.text), ...(item.content ?? []).map((part) => part.text)])
        .join('');
    upstream.enqueue(wholeAnswer());
    const whole = await client.responses.create({ model: 'host/some-thinker', input: 'hi', store: false });
    expect(reasoningText(whole.output)).toBe(THOUGHT);
    upstream.enqueue(streamedAnswer());
    const stream = client.responses.stream({ model: 'host/some-thinker', input: 'hi', store: false });
    const streamed = await stream.finalResponse();
    expect(reasoningText(streamed.output)).toBe(THOUGHT);
  });

  it("an OpenAI client gets the host's own fields, with no field added", async () => {
    upstream.enqueue(wholeAnswer());
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'host/some-thinker', messages: [{ role: 'user', content: 'hi' }] });
    const message = answer.choices[0]!.message as unknown as Record<string, unknown>;
    expect(message.reasoning).toBe(THOUGHT);
    expect(message.reasoning_content).toBeUndefined();
  });

  it('a host that writes both keeps its `reasoning_content`', async () => {
    const body = completion({ content: 'Hello!' }) as { choices: Array<{ message: Record<string, unknown> }> };
    body.choices[0]!.message.reasoning = 'a summary';
    body.choices[0]!.message.reasoning_content = THOUGHT;
    upstream.enqueue({ body });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.create({ model: 'host/some-thinker', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(THOUGHT);
  });
});
