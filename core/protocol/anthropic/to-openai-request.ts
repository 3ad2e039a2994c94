/**
 * An Anthropic Messages request as an OpenAI chat request: the form every plugin reads (rules,
 * routing, token counts) and every non-Anthropic adapter sends. An Anthropic upstream receives the
 * client's original instead (see protocol/native.ts), so nothing here needs to be lossless for it.
 *
 * `cache_control` marks stay on the OpenAI content parts (OpenRouter and others read them there);
 * thinking blocks ride along as `thinking_blocks`; tool results become `tool` messages placed
 * right after the assistant turn that asked for them, as OpenAI requires.
 */
import { invalidRequest } from '../../errors.js';
import type { ChatCompletionRequest, ChatMessage, ThinkingBlock, ToolCall } from '../openai.js';
import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicRequest, AnthropicTextBlock, AnthropicToolResultBlock } from './types.js';

export function toOpenAIRequest(request: AnthropicRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (request.system !== undefined) {
    const content = typeof request.system === 'string' ? request.system : request.system.map(textPart);
    messages.push({ role: 'system', content });
  }
  request.messages.forEach((message, index) => messages.push(...translateMessage(message, `messages[${index}]`)));

  const out: ChatCompletionRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.stream) {
    out.stream = true;
    // An Anthropic stream always reports usage; ask OpenAI-format upstreams for it too.
    out.stream_options = { include_usage: true };
  }
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  if (request.top_k !== undefined) out.top_k = request.top_k;
  if (request.stop_sequences?.length) out.stop = request.stop_sequences;
  if (request.metadata?.user_id) out.user = request.metadata.user_id;
  if (request.tools?.length) {
    out.tools = request.tools.map((tool, index) => {
      if (tool.type !== undefined && tool.type !== 'custom') {
        throw invalidRequest(`The server tool '${tool.type}' (tools[${index}]) is only available with an Anthropic provider.`, `tools[${index}]`, 'unsupported_parameter');
      }
      return { type: 'function', function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.input_schema ?? { type: 'object', properties: {} } } };
    });
  }
  const choice = request.tool_choice;
  if (choice) {
    if (choice.type === 'auto') out.tool_choice = 'auto';
    else if (choice.type === 'any') out.tool_choice = 'required';
    else if (choice.type === 'none') out.tool_choice = 'none';
    else if (choice.type === 'tool') out.tool_choice = { type: 'function', function: { name: choice.name } };
    if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use) out.parallel_tool_calls = false;
  }
  const thinking = request.thinking;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number') {
    out.reasoning_effort = thinking.budget_tokens <= 2048 ? 'low' : thinking.budget_tokens <= 8192 ? 'medium' : 'high';
  }
  return out;
}

function translateMessage(message: AnthropicMessageParam, at: string): ChatMessage[] {
  if (message.role !== 'user' && message.role !== 'assistant') {
    throw invalidRequest(`${at}.role must be 'user' or 'assistant'.`, `${at}.role`);
  }
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  if (!Array.isArray(message.content)) throw invalidRequest(`${at}.content must be a string or an array of content blocks.`, `${at}.content`);
  return message.role === 'assistant' ? [assistantMessage(message.content, at)] : userMessages(message.content, at);
}

function assistantMessage(blocks: AnthropicContentBlock[], at: string): ChatMessage {
  const parts: Array<Record<string, unknown>> = [];
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  blocks.forEach((block, index) => {
    switch (block.type) {
      case 'text':
        parts.push(textPart(block));
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'thinking':
        thinking.push({ type: 'thinking', thinking: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
        break;
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: block.data });
        break;
      default:
        throw invalidRequest(`Content of type '${block.type}' (${at}.content[${index}]) is only available with an Anthropic provider.`, `${at}.content[${index}]`, 'unsupported_parameter');
    }
  });
  const message: ChatMessage = { role: 'assistant', content: parts.length === 0 && toolCalls.length > 0 ? null : simplify(parts) };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thinking.length > 0) {
    message.thinking_blocks = thinking;
    message.reasoning_content = thinking.map((b) => (b.type === 'thinking' ? b.thinking : '')).join('');
  }
  return message;
}

/** A user turn: its tool results first, as `tool` messages, then whatever else it says. */
function userMessages(blocks: AnthropicContentBlock[], at: string): ChatMessage[] {
  const tools: ChatMessage[] = [];
  const parts: Array<Record<string, unknown>> = [];
  blocks.forEach((block, index) => {
    const where = `${at}.content[${index}]`;
    if (block.type === 'tool_result') tools.push(toolMessage(block, where));
    else parts.push(userPart(block, where));
  });
  return parts.length > 0 ? [...tools, { role: 'user', content: simplify(parts) }] : tools;
}

function toolMessage(block: AnthropicToolResultBlock, at: string): ChatMessage {
  let content: ChatMessage['content'];
  if (block.content === undefined) content = '';
  else if (typeof block.content === 'string') content = block.content;
  else content = simplify(block.content.map((part, index) => userPart(part as AnthropicContentBlock, `${at}.content[${index}]`)));
  // OpenAI has no error flag on tool results; the model still needs to know.
  if (block.is_error) content = `[tool error] ${typeof content === 'string' ? content : JSON.stringify(content)}`;
  return { role: 'tool', tool_call_id: block.tool_use_id, content };
}

function userPart(block: AnthropicContentBlock, at: string): Record<string, unknown> {
  switch (block.type) {
    case 'text':
      return textPart(block);
    case 'image': {
      const source = block.source;
      const cache = block.cache_control ? { cache_control: block.cache_control } : {};
      if (source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${String(source.media_type)};base64,${String(source.data)}` }, ...cache };
      if (source.type === 'url') return { type: 'image_url', image_url: { url: String(source.url) }, ...cache };
      break;
    }
    case 'document': {
      const source = block.source;
      if (source.type === 'base64' && source.media_type && source.data) return { type: 'file', file: { file_data: `data:${source.media_type};base64,${source.data}` } };
      if (source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
      break;
    }
    default:
      break;
  }
  throw invalidRequest(`Content of type '${block.type}' (${at}) is only available with an Anthropic provider.`, at, 'unsupported_parameter');
}

function textPart(block: AnthropicTextBlock): Record<string, unknown> {
  return block.cache_control ? { type: 'text', text: block.text, cache_control: block.cache_control } : { type: 'text', text: block.text };
}

/** A lone text stays a plain string, which every OpenAI-compatible server accepts. */
function simplify(parts: Array<Record<string, unknown>>): ChatMessage['content'] {
  if (parts.length === 0) return '';
  const only = parts[0];
  if (parts.length === 1 && only?.type === 'text' && only.cache_control === undefined) return String(only.text);
  return parts;
}
