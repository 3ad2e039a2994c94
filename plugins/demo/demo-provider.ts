/**
 * The built-in `demo` provider: deterministic answers with no network and no key, so a newcomer's
 * first request shows the whole flow (routing, streaming, headers, usage) before any provider is set
 * up. Every answer says it comes from the demo.
 */
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type ChatMessage, GatewayError, type Usage } from 'llm-gateway/plugin';
import { type CommonProviderOptions, type Provider, type ProviderContext, defineProviderType } from 'llm-gateway/provider-kit';

export interface DemoOptions extends CommonProviderOptions {
  type: 'demo';
  /** Delay before the answer starts, to make streaming visible. Default 0. */
  latencyMs?: number;
  /** Delay between streamed words. Default 0. */
  chunkDelayMs?: number;
}

export const DEMO_MODELS = ['echo'] as const;

export function demoReply(request: ChatCompletionRequest): string {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const said = lastUser ? textOf(lastUser).trim() : '';
  return `[demo] You said: "${said.slice(0, 200)}". This answer comes from the built-in demo provider; set OPENAI_API_KEY, GROQ_API_KEY or another provider variable to reach a real model.`;
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((part) => (typeof part.text === 'string' ? part.text : '')).join(' ');
  return '';
}

function usageOf(request: ChatCompletionRequest, reply: string): Usage {
  const prompt = request.messages.reduce((n, m) => n + Math.ceil(textOf(m).length / 4), 0);
  const completion = Math.ceil(reply.length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const sleep = (ms: number, signal: AbortSignal) =>
  ms <= 0 ? Promise.resolve() : new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });

function createDemoProvider(options: DemoOptions, context: ProviderContext): Provider {
  let sequence = 0;
  return {
    id: context.id,
    type: 'demo',
    async chatCompletions({ body, signal }) {
      if (!(DEMO_MODELS as readonly string[]).includes(body.model)) {
        throw new GatewayError('not_found', `${context.id}: the demo provider only serves: ${DEMO_MODELS.join(', ')}`, { provider: context.id, code: 'model_not_found', param: 'model' });
      }
      await sleep(options.latencyMs ?? 0, signal);
      const id = `chatcmpl-demo-${++sequence}`;
      const created = Math.floor(Date.now() / 1000);
      const reply = demoReply(body);
      const usage = usageOf(body, reply);
      if (body.stream !== true) {
        const completion: ChatCompletion = {
          id, object: 'chat.completion', created, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop', logprobs: null }],
          usage,
        };
        return { kind: 'json', status: 200, headers: {}, body: completion };
      }
      const includeUsage = body.stream_options?.include_usage === true;
      const delay = options.chunkDelayMs ?? 0;
      async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
        const base = { id, object: 'chat.completion.chunk' as const, created, model: body.model };
        yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
        for (const word of reply.split(/(?<= )/)) {
          await sleep(delay, signal);
          yield { ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] };
        }
        yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
        if (includeUsage) yield { ...base, choices: [], usage };
      }
      return { kind: 'stream', status: 200, headers: {}, chunks: chunks() };
    },
    listModels: async () => DEMO_MODELS.map((id) => ({ id, ownedBy: 'llm-gateway-demo' })),
  };
}

export const demoType = defineProviderType<DemoOptions>({
  type: 'demo',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      latencyMs: { type: 'integer', minimum: 0 },
      chunkDelayMs: { type: 'integer', minimum: 0 },
    },
  },
  create: createDemoProvider,
});
