/**
 * An OpenAI chat request as an Anthropic Messages request, for the `anthropic` adapter.
 *
 * What has no Anthropic equivalent (`n > 1`, logprobs, penalties, audio) is refused with a 400
 * naming the provider and the field, or left out when the provider is configured with
 * `unsupportedParams: 'drop'`. JSON mode and JSON schemas become a forced tool call whose input is
 * handed back to the client as the message content: the one way every Claude model honours a schema.
 * With thinking asked for, a JSON schema is sent as Anthropic's structured outputs instead
 * (`output_config.format`), which need no tool choice (answer-format.ts).
 */
import { appendAll } from 'llm-gateway/plugin';
import { invalidRequest, rejectUnsupported, type ChatCompletionRequest, type ChatMessage, type UnsupportedParamsPolicy } from 'llm-gateway/provider-kit';
import { answerFormatOf, answerTool, outputFormat, type AnswerFormat } from './answer-format.js';
import { translateToolChoice, translateTools } from './from-openai-tools.js';
import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicRequest, AnthropicTextBlock, AnthropicToolResultBlock } from './types.js';

export { JSON_TOOL } from './answer-format.js';

export interface ToAnthropicOptions {
  provider: string;
  policy: UnsupportedParamsPolicy;
  /** Anthropic requires `max_tokens`; OpenAI clients often leave it out. */
  defaultMaxTokens: number;
  /** The `anthropic-version` the request goes under (the provider's `version`). */
  version?: string;
}

/**
 * The first API version without `temperature`, `top_p` and `top_k` (Anthropic refuses a request
 * that sends one): a chat client's sampling settings (Roo Code always sends temperature 0) give
 * way, as they do to thinking below, rather than every request being refused.
 */
const WITHOUT_SAMPLING = '2026-10-21';

export interface AnthropicCall {
  body: AnthropicRequest;
  /** Set when `response_format` became a forced tool: its name, whose input is the answer. */
  jsonTool?: string;
}

/** OpenAI fields that change nothing about the answer and have no Anthropic counterpart. */
const IGNORED = new Set(['model', 'messages', 'stream_options', 'store', 'metadata', 'service_tier', 'prompt_cache_key']);

/**
 * Thinking budgets for OpenAI's `reasoning_effort`. `xhigh` and `max` (Codex CLI sends `xhigh`):
 * the largest budget that, with the default answer room added, stays under the 32K output tokens of
 * Claude Opus 4 and 4.1, the smallest limit among the models that think.
 */
const THINKING_BUDGET: Record<string, number> = { low: 1024, medium: 4096, high: 16_384, xhigh: 24_576, max: 24_576 };

export function toAnthropicRequest(request: ChatCompletionRequest, options: ToAnthropicOptions): AnthropicCall {
  const { provider, policy } = options;
  const body: AnthropicRequest = { model: request.model, messages: [], max_tokens: options.defaultMaxTokens };
  /** What `response_format` asks of the answer (JSON mode, a schema). */
  let answer: AnswerFormat | undefined;

  const { system, messages } = translateMessages(request.messages, options);
  if (system.length > 0) body.system = system;
  body.messages = messages;

  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null || IGNORED.has(field)) continue;
    switch (field) {
      case 'stream':
        body.stream = value === true;
        break;
      // OpenAI's newer name wins when both are sent, wherever they stand in the body (as on Gemini):
      // the budget reserves for the larger, and the upstream must not be asked for more than that.
      case 'max_tokens':
        if (request.max_completion_tokens === undefined || request.max_completion_tokens === null) body.max_tokens = Number(value);
        break;
      case 'max_completion_tokens':
        body.max_tokens = Number(value);
        break;
      case 'temperature':
      case 'top_p':
      case 'top_k':
        if (options.version === undefined || options.version < WITHOUT_SAMPLING) body[field] = Number(value);
        break;
      case 'stop':
        body.stop_sequences = Array.isArray(value) ? (value as string[]) : [String(value)];
        break;
      // Anthropic's end-user id for abuse detection. OpenAI replaced `user` by `safety_identifier`,
      // which wins when both are sent, wherever they stand in the body.
      case 'user':
        if (request.safety_identifier === undefined || request.safety_identifier === null) body.metadata = { user_id: String(value) };
        break;
      case 'safety_identifier':
        body.metadata = { user_id: String(value) };
        break;
      case 'n':
        if (Number(value) > 1) rejectUnsupported(policy, provider, 'n', 'Anthropic returns one choice per request');
        break;
      case 'tools':
        body.tools = translateTools(value as unknown[], provider);
        break;
      case 'tool_choice':
      case 'parallel_tool_calls':
        break; // below, once tools are known
      case 'response_format':
        answer = answerFormatOf(value, policy, provider);
        break;
      case 'reasoning_effort': {
        const budget = THINKING_BUDGET[String(value)];
        if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
        else if (value !== 'none' && value !== 'minimal') rejectUnsupported(policy, provider, 'reasoning_effort', `'${String(value)}' is not low, medium, high, xhigh or max`);
        break;
      }
      // Both default to 0, which asks for nothing (some clients always send them).
      case 'frequency_penalty':
      case 'presence_penalty':
        if (Number(value) !== 0) rejectUnsupported(policy, provider, field, 'the Anthropic Messages API has no such parameter');
        break;
      case 'logprobs':
      case 'top_logprobs':
        if (value !== false) rejectUnsupported(policy, provider, field, 'Anthropic does not return log probabilities');
        break;
      default:
        rejectUnsupported(policy, provider, field, 'the Anthropic Messages API has no such parameter');
    }
  }

  const { choice: toolChoice, tools } = translateToolChoice(request.tool_choice, request.parallel_tool_calls, body.tools, provider);
  if (tools) body.tools = tools;
  // A client that requires a call of its own tools is answered by a call, not by text to shape.
  const shaped = answer && !(toolChoice?.type === 'any' || toolChoice?.type === 'tool') ? answer : undefined;
  // With thinking, the forced tool below would cost the thinking (or the request): a schema goes as
  // structured outputs instead, and the text answer is the content (answer-format.ts).
  const format = shaped && body.thinking ? outputFormat(shaped) : undefined;
  const jsonTool = shaped && !format ? answerTool(shaped) : undefined;
  if (format) body.output_config = { format };
  if (jsonTool) {
    // The answer is the JSON tool's input: forced when no tool of the client's may be called; with
    // the client's tools offered, any tool (one of theirs, or the answer).
    const ownTools = (body.tools?.length ?? 0) > 0 && toolChoice?.type !== 'none';
    body.tools = [...(body.tools ?? []), jsonTool];
    body.tool_choice = ownTools ? { ...toolChoice, type: 'any' } : { type: 'tool', name: jsonTool.name };
  } else if (toolChoice) {
    body.tool_choice = toolChoice;
  }
  // Anthropic thinks only where the tool choice is auto or none: a call that must be made is what was asked.
  if (body.thinking && (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool')) {
    const why = jsonTool ? 'it must answer through a tool, as response_format asks' : 'tool_choice requires a tool call';
    rejectUnsupported(policy, provider, 'reasoning_effort', `Anthropic cannot think while ${why}`);
    delete body.thinking;
  }
  // A tool loop's next turn with thinking must send back the thinking its calls came after, signed
  // as Anthropic gave it, and a chat client has nowhere to keep that (OpenAI's messages have no
  // such field): Anthropic would refuse every such turn ("Expected `thinking`… found `tool_use`"),
  // so this turn goes without thinking. A client that sends `thinking_blocks` back keeps it.
  if (body.thinking?.type === 'enabled' && continuesUnsignedToolUse(body.messages)) delete body.thinking;
  // Thinking takes only a temperature of 1, a top_p from 0.95 and no top_k: a client's sampling
  // settings (Roo Code always sends temperature 0) give way to the reasoning it asked for, rather
  // than every request being refused.
  if (body.thinking?.type === 'enabled') {
    if (body.temperature !== undefined && body.temperature !== 1) delete body.temperature;
    if (typeof body.top_p === 'number' && body.top_p < 0.95) delete body.top_p;
    delete body.top_k;
  }
  // Anthropic refuses a thinking budget that does not leave room for the answer.
  if (body.thinking?.type === 'enabled' && typeof body.thinking.budget_tokens === 'number' && body.max_tokens <= body.thinking.budget_tokens) {
    body.max_tokens = body.thinking.budget_tokens + body.max_tokens;
  }
  return jsonTool ? { body, jsonTool: jsonTool.name } : { body };
}

/**
 * Whether the conversation continues a tool-use turn (the last assistant turn called tools and the
 * user's turn after it answers them) that does not start with thinking, as Anthropic requires of
 * that turn when thinking is on.
 */
function continuesUnsignedToolUse(messages: readonly AnthropicMessageParam[]): boolean {
  const last = messages.findLastIndex((message) => message.role === 'assistant');
  if (last < 0) return false;
  const turn = messages[last]!.content;
  if (typeof turn === 'string' || !turn.some((block) => block.type === 'tool_use')) return false;
  const answered = messages.slice(last + 1).some((message) => typeof message.content !== 'string' && message.content.some((block) => block.type === 'tool_result'));
  return answered && turn[0]?.type !== 'thinking' && turn[0]?.type !== 'redacted_thinking';
}

function translateMessages(messages: readonly ChatMessage[], options: ToAnthropicOptions): { system: AnthropicTextBlock[]; messages: AnthropicMessageParam[] } {
  const system: AnthropicTextBlock[] = [];
  const out: AnthropicMessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    // Anthropic wants turns to alternate; consecutive turns of one role become one.
    if (last && last.role === role) appendAll(last.content as AnthropicContentBlock[], blocks);
    else out.push({ role, content: blocks });
  };

  messages.forEach((message, index) => {
    const at = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        appendAll(system, textBlocks(message.content, at, options));
        break;
      case 'user':
        push('user', contentBlocks(message.content, at, options));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message, at, options));
        break;
      case 'tool': {
        const result: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: String(message.tool_call_id ?? '') };
        const content = message.content;
        if (typeof content === 'string') result.content = content;
        else if (Array.isArray(content)) result.content = contentBlocks(content, at, options) as AnthropicToolResultBlock['content'];
        push('user', [result]);
        break;
      }
      default:
        throw invalidRequest(`${options.provider} does not support messages with role '${message.role}'.`, `${at}.role`, 'unsupported_parameter');
    }
  });
  return { system, messages: out };
}

function assistantBlocks(message: ChatMessage, at: string, options: ToAnthropicOptions): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  // Thinking blocks go first and verbatim: Anthropic checks their signatures on tool-use turns.
  for (const block of message.thinking_blocks ?? []) blocks.push({ ...block });
  appendAll(blocks, contentBlocks(message.content, at, options).filter((b) => b.type !== 'text' || (b as AnthropicTextBlock).text !== ''));
  for (const call of message.tool_calls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, `${at}.tool_calls`) });
  }
  return blocks;
}

function textBlocks(content: ChatMessage['content'], at: string, options: ToAnthropicOptions): AnthropicTextBlock[] {
  return contentBlocks(content, at, options).filter((b): b is AnthropicTextBlock => b.type === 'text');
}

function contentBlocks(content: ChatMessage['content'], at: string, options: ToAnthropicOptions): AnthropicContentBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: AnthropicContentBlock[] = [];
  content.forEach((part, index) => {
    const block = contentPart(part, `${at}.content[${index}]`, options);
    if (block) blocks.push(block);
  });
  return blocks;
}

function contentPart(part: Record<string, unknown>, at: string, options: ToAnthropicOptions): AnthropicContentBlock | undefined {
  const cache = part.cache_control ? { cache_control: part.cache_control as AnthropicTextBlock['cache_control'] } : {};
  switch (part.type) {
    case 'text':
      return { type: 'text', text: String(part.text ?? ''), ...cache };
    case 'image_url': {
      const url = String((part.image_url as { url?: unknown } | undefined)?.url ?? '');
      const data = parseDataUrl(url);
      if (data) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data }, ...cache };
      if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url }, ...cache };
      throw invalidRequest(`The image at ${at} is neither a data URL nor an http(s) URL.`, at);
    }
    case 'file': {
      const file = part.file as { file_data?: string; file_id?: string } | undefined;
      const data = file?.file_data ? parseDataUrl(file.file_data) : undefined;
      if (data) return { type: 'document', source: { type: 'base64', media_type: data.mediaType, data: data.data }, ...cache };
      rejectUnsupported(options.policy, options.provider, at, 'only files given inline as data URLs can be sent to Anthropic');
      return undefined;
    }
    default:
      rejectUnsupported(options.policy, options.provider, at, `content of type '${String(part.type)}' has no Anthropic equivalent`);
      return undefined;
  }
}

function parseArguments(text: string, at: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest(`The tool call arguments at ${at} are not valid JSON.`, at);
  }
}

export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1] as string, data: match[2] as string } : undefined;
}
