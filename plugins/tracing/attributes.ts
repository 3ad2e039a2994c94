/**
 * OpenTelemetry GenAI semantic convention names. They live in the conventions' "incubating" set,
 * which may change between minor versions of @opentelemetry/semantic-conventions, so the names
 * the gateway emits are written here once (as the conventions advise) instead of imported.
 */
import { genAiOperationName, type ChatCompletion, type ChatMessage, type ChatCompletionRequest } from 'llm-gateway/plugin';

export const GEN_AI = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  maxTokens: 'gen_ai.request.max_tokens',
  temperature: 'gen_ai.request.temperature',
  topP: 'gen_ai.request.top_p',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
} as const;

/** The gateway's own attributes: how the request was routed and what came of it. */
export const GATEWAY = {
  requestId: 'llm_gateway.request_id',
  frontEnd: 'llm_gateway.front_end',
  provider: 'llm_gateway.provider',
  attempt: 'llm_gateway.attempt',
  fallback: 'llm_gateway.fallback',
  routeReason: 'llm_gateway.route.reason',
  virtualModel: 'llm_gateway.virtual_model',
  attempts: 'llm_gateway.attempts',
  outcome: 'llm_gateway.outcome',
  cache: 'llm_gateway.cache',
  costUsd: 'llm_gateway.cost_usd',
  stream: 'llm_gateway.stream',
} as const;

/** `gen_ai.operation.name`: what the gateway asks of the provider (shared with the metrics). */
export const operationName = genAiOperationName;

/**
 * `gen_ai.provider.name`: the conventions' well-known name for the provider types that have one;
 * for OpenAI-compatible hosts, the provider's id in the config (`groq`, `mistral`, `ollama`).
 */
export function providerName(type: string | undefined, id: string): string {
  switch (type) {
    case 'openai':
      return 'openai';
    case 'anthropic':
      return 'anthropic';
    case 'gemini':
      return 'gcp.gemini';
    case 'azure':
      return 'azure.ai.openai';
    default:
      return id;
  }
}

/** Request parameters worth an attribute, when the client set them. */
export function requestAttributes(request: ChatCompletionRequest): Record<string, number> {
  const out: Record<string, number> = {};
  const max = request.max_completion_tokens ?? request.max_tokens;
  if (typeof max === 'number') out[GEN_AI.maxTokens] = max;
  if (typeof request.temperature === 'number') out[GEN_AI.temperature] = request.temperature;
  if (typeof request.top_p === 'number') out[GEN_AI.topP] = request.top_p;
  return out;
}

type Part = { type: 'text'; content: string } | { type: 'tool_call'; id: string; name: string; arguments: string } | { type: 'tool_call_response'; id: string; response: string };

/** Messages in the conventions' shape (`[{ role, parts: [...] }]`), content through `text`. */
export function inputMessages(messages: readonly ChatMessage[], text: (value: string) => string): string {
  return JSON.stringify(
    messages.map((message) => {
      const parts: Part[] = [];
      const content = textOf(message.content);
      if (message.role === 'tool') parts.push({ type: 'tool_call_response', id: message.tool_call_id ?? '', response: text(content) });
      else if (content) parts.push({ type: 'text', content: text(content) });
      for (const call of message.tool_calls ?? []) parts.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: text(call.function.arguments) });
      return { role: message.role, parts };
    }),
  );
}

export function outputMessages(choices: ReadonlyArray<{ message: ChatMessage; finish_reason: string | null }>, text: (value: string) => string): string {
  return JSON.stringify(
    choices.map((choice) => {
      const parts: Part[] = [];
      const content = textOf(choice.message.content);
      if (content) parts.push({ type: 'text', content: text(content) });
      for (const call of choice.message.tool_calls ?? []) parts.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: text(call.function.arguments) });
      return { role: 'assistant', parts, finish_reason: choice.finish_reason ?? '' };
    }),
  );
}

export function finishReasons(body: ChatCompletion): string[] {
  return body.choices.map((choice) => choice.finish_reason ?? '').filter(Boolean);
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}
