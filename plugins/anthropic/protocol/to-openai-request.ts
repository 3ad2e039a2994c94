/**
 * An Anthropic Messages request as an OpenAI chat request: the form every plugin reads (rules,
 * routing, token counts) and every non-Anthropic adapter sends. An Anthropic upstream receives the
 * client's original instead (see protocol/native.ts), so nothing here needs to be lossless for it.
 *
 * The translation never refuses a request: it runs before routing, and the target may well be an
 * Anthropic upstream that takes the request as written. What it cannot express (a server tool, a
 * block type OpenAI has no word for) is left out and reported as a loss (see TranslationLoss),
 * which the kernel weighs only when the translation is what gets sent.
 * A message thread (`thread`) is the one field whose loss would change what the rest means: it is
 * reported as such, and refused whatever the target's policy.
 * Settings that only tune how Anthropic runs (`context_management`, `container`,
 * `output_config.effort`, unknown fields) are left out without a word, as any API leaves out what
 * it does not know. Structured outputs (`output_config.format`, the older `output_format`) are not
 * such a setting: they become OpenAI's strict `response_format` json_schema.
 *
 * `cache_control` marks stay on the OpenAI content parts (OpenRouter and others read them there);
 * thinking blocks ride along as `thinking_blocks`; tool results become `tool` messages placed
 * right after the assistant turn that asked for them, as OpenAI requires; system messages in the
 * conversation (Claude Code sends them) stay system messages, in place. A tool name OpenAI's
 * pattern refuses goes up as a stand-in (tool-names.ts), which the answer turns back.
 */
import { TOOL_ERROR_PREFIX, type ChatCompletionRequest, type ChatMessage, type ThinkingBlock, type ToolCall, type TranslationLoss } from 'llm-gateway/plugin';
import { isCarrier, readCarrier, restoreCallData } from './carried-call-data.js';
import { SentToolNames, type ToolNameMap } from './tool-names.js';
import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicRequest, AnthropicTextBlock, AnthropicToolResultBlock } from './types.js';

export interface OpenAITranslation {
  readonly request: ChatCompletionRequest;
  /** What the OpenAI request leaves out of the client's (empty when nothing was lost). */
  readonly losses: readonly TranslationLoss[];
  /** The tool names that went up as stand-ins (tool-names.ts), for the answer to give back; absent when none did. */
  readonly toolNames?: ToolNameMap;
}

export function toOpenAIRequest(request: AnthropicRequest): OpenAITranslation {
  const losses: TranslationLoss[] = [];
  const names = new SentToolNames(() => (request.tools ?? []).map((tool) => tool.name));
  const messages: ChatMessage[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: systemContent(request.system) });
  // One message at a time, not spread into a call: a turn of 100 000 tool results would overflow the stack.
  request.messages.forEach((message, index) => {
    for (const translated of translateMessage(message, `messages.${index}`, losses, names)) messages.push(translated);
  });

  const out: ChatCompletionRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  // An Anthropic stream always reports usage: the kernel asks OpenAI-format upstreams for it.
  if (request.stream) out.stream = true;
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  if (request.top_k !== undefined) out.top_k = request.top_k;
  if (request.stop_sequences?.length) out.stop = request.stop_sequences;
  if (request.metadata?.user_id) out.user = request.metadata.user_id;
  const offered = new Set<string>();
  if (request.tools?.length) {
    const tools: Array<Record<string, unknown>> = [];
    request.tools.forEach((tool, index) => {
      if (tool.type !== undefined && tool.type !== 'custom') {
        losses.push({ param: `tools.${index}`, why: `the server tool '${tool.type}' is only available with an Anthropic provider`, kind: 'tool' });
        return;
      }
      offered.add(tool.name);
      const fn: Record<string, unknown> = { name: names.sent(tool.name), ...(tool.description ? { description: tool.description } : {}), parameters: tool.input_schema ?? { type: 'object', properties: {} } };
      // Strict schema validation of the call, as the client asked for it (OpenAI's switch has the same name).
      if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
      tools.push({ type: 'function', function: fn });
    });
    if (tools.length > 0) out.tools = tools;
  }
  // OpenAI refuses tool_choice and parallel_tool_calls without tools: with every tool left out
  // (server tools only), there is nothing for them to say. A choice of a tool left out goes too.
  const choice = request.tool_choice;
  if (choice?.type === 'tool' && !offered.has(choice.name)) {
    losses.push({ param: 'tool_choice', why: `the tool '${choice.name}' it names is only available with an Anthropic provider`, kind: 'tool' });
  } else if (choice && out.tools) {
    if (choice.type === 'auto') out.tool_choice = 'auto';
    else if (choice.type === 'any') out.tool_choice = 'required';
    else if (choice.type === 'none') out.tool_choice = 'none';
    else if (choice.type === 'tool') out.tool_choice = { type: 'function', function: { name: names.sent(choice.name) } };
  }
  if (choice && out.tools && 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use) out.parallel_tool_calls = false;
  const format = outputFormat(request);
  if (format) {
    if (format.type === 'json_schema' && isRecord(format.schema)) {
      // Anthropic's structured outputs always hold the answer to the schema: OpenAI's strict json_schema.
      out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
    } else {
      losses.push({ param: format.at, why: `the output format '${String(format.type)}' has no equivalent`, kind: 'content' });
    }
  }
  if (request.thread !== undefined && request.thread !== null) {
    // The Anthropic SDK's tool runner threads by default: on `continue`, `messages` holds only the
    // new turn (tool results, without the prompt or the calls they answer) and the server keeps the
    // rest, which no other upstream holds. Its refusal, in Anthropic's terms, has the SDK send the
    // whole conversation instead.
    losses.push({
      param: 'thread',
      why: 'message threads are held by Anthropic only; send the whole conversation without a thread',
      kind: 'meaning',
      errorFields: { details: { error_code: 'thread_unsupported_request' } },
    });
  }
  const thinking = request.thinking;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number') {
    out.reasoning_effort = thinking.budget_tokens <= 2048 ? 'low' : thinking.budget_tokens <= 8192 ? 'medium' : 'high';
  }
  const toolNames = names.map;
  return toolNames ? { request: out, losses, toolNames } : { request: out, losses };
}

/**
 * The structured output the client asked for: `output_config.format`, or the older top-level
 * `output_format` (same shape, `{ type: 'json_schema', schema }`), the newer winning.
 */
function outputFormat(request: AnthropicRequest): { type: unknown; schema?: unknown; at: string } | undefined {
  const config = request.output_config;
  if (isRecord(config) && isRecord(config.format)) return { type: config.format.type, schema: config.format.schema, at: 'output_config.format' };
  if (isRecord(request.output_format)) return { type: request.output_format.type, schema: request.output_format.schema, at: 'output_format' };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function translateMessage(message: AnthropicMessageParam, at: string, losses: TranslationLoss[], names: SentToolNames): ChatMessage[] {
  switch (message.role) {
    case 'system':
    case 'developer':
      return [{ role: 'system', content: systemContent(message.content) }];
    case 'user':
      return typeof message.content === 'string' ? [{ role: 'user', content: message.content }] : userMessages(message.content, at, losses);
    case 'assistant':
      return typeof message.content === 'string' ? [{ role: 'assistant', content: message.content }] : [assistantMessage(message.content, at, losses, names)];
    default:
      losses.push({ param: `${at}.role`, why: `a message with the role '${String(message.role)}' has no equivalent`, kind: 'content' });
      return [];
  }
}

/** A system prompt, top-level or in the conversation: a string, or its text blocks. */
function systemContent(content: string | AnthropicContentBlock[]): ChatMessage['content'] {
  if (typeof content === 'string') return content;
  return content.filter((block): block is AnthropicTextBlock => block.type === 'text').map(textPart);
}

function assistantMessage(blocks: AnthropicContentBlock[], at: string, losses: TranslationLoss[], names: SentToolNames): ChatMessage {
  const parts: Array<Record<string, unknown>> = [];
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  /** Tool calls' provider data, carried in the gateway's own thinking blocks (carried-call-data.ts). */
  const callData = new Map<string, Record<string, unknown>>();
  /** The host's signed reasoning entries the answer had (OpenRouter's), which it asks for back. */
  const details: unknown[] = [];
  blocks.forEach((block, index) => {
    const carried = readCarrier(block);
    // One at a time: spread into a call, a forged carrier's entries would overflow the stack.
    if (carried && 'reasoningDetails' in carried) return void carried.reasoningDetails.forEach((entry) => details.push(entry));
    if (carried) return void callData.set(carried.id, carried.data);
    if (isCarrier(block)) return; // unreadable: it was never the model's thinking
    switch (block.type) {
      case 'text':
        parts.push(textPart(block));
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: names.sent(block.name), arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'thinking':
        thinking.push({ type: 'thinking', thinking: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
        break;
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: block.data });
        break;
      default:
        losses.push({ param: `${at}.content.${index}`, why: `content of type '${block.type}' is only available with an Anthropic provider`, kind: 'content' });
    }
  });
  restoreCallData(toolCalls, callData);
  const message: ChatMessage = { role: 'assistant', content: parts.length === 0 && toolCalls.length > 0 ? null : simplify(parts) };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thinking.length > 0) {
    message.thinking_blocks = thinking;
    message.reasoning_content = thinking.map((b) => (b.type === 'thinking' ? b.thinking : '')).join('');
  }
  if (details.length > 0) message.reasoning_details = details;
  return message;
}

/**
 * A user turn: its tool results first, as `tool` messages, then whatever else it says. The images
 * and files of tool results (Claude Code's Read of a picture or a PDF) go at the head of that user
 * message: OpenAI's tool messages take text only.
 */
function userMessages(blocks: AnthropicContentBlock[], at: string, losses: TranslationLoss[]): ChatMessage[] {
  const tools: ChatMessage[] = [];
  const attachments: Array<Record<string, unknown>> = [];
  const parts: Array<Record<string, unknown>> = [];
  blocks.forEach((block, index) => {
    const where = `${at}.content.${index}`;
    if (block.type === 'tool_result') tools.push(toolMessage(block, where, losses, attachments));
    else parts.push(...userParts(block, where, losses));
  });
  const said = [...attachments, ...parts];
  return said.length > 0 ? [...tools, { role: 'user', content: simplify(said) }] : tools;
}

/** A tool result as a `tool` message of text; its other parts (images, files) are added to `attachments`, each named in the text. */
function toolMessage(block: AnthropicToolResultBlock, at: string, losses: TranslationLoss[], attachments: Array<Record<string, unknown>>): ChatMessage {
  let content: ChatMessage['content'];
  if (block.content === undefined) content = '';
  else if (typeof block.content === 'string') content = block.content;
  else {
    const parts: Array<Record<string, unknown>> = [];
    block.content.forEach((item, index) => {
      for (const part of userParts(item as AnthropicContentBlock, `${at}.content.${index}`, losses)) {
        if (part.type === 'text') {
          parts.push(part);
          continue;
        }
        attachments.push(part);
        parts.push({ type: 'text', text: `[${part.type === 'image_url' ? 'an image' : 'a file'}, attached to the next user message]` });
      }
    });
    content = simplify(parts);
  }
  // OpenAI has no error flag on tool results; the model still needs to know.
  if (block.is_error) content = `${TOOL_ERROR_PREFIX}${typeof content === 'string' ? content : textOfParts(content)}`;
  return { role: 'tool', tool_call_id: block.tool_use_id, content };
}

/**
 * A block's parts. A document's `title` and `context` are for the model to read (Anthropic's
 * citations docs: "passed to the model but not used towards cited content"): they go in text before
 * it, a PDF's title being its file name too. Citations asked of a document no OpenAI-format answer
 * can give: refused, or left out and named, by the provider's policy.
 */
function userParts(block: AnthropicContentBlock, at: string, losses: TranslationLoss[]): Array<Record<string, unknown>> {
  const part = userPart(block, at, losses);
  if (!part) return [];
  if (block.type !== 'document') return [part];
  if ((block.citations as { enabled?: unknown } | undefined)?.enabled === true) {
    losses.push({ param: `${at}.citations`, why: 'citations are only available with an Anthropic provider', kind: 'content' });
  }
  const about = [typeof block.title === 'string' && block.title !== '' ? `Document: ${block.title}` : '', typeof block.context === 'string' ? block.context : ''].filter((line) => line !== '').join('\n');
  if (about === '') return [part];
  if (part.type === 'text') return [{ type: 'text', text: `${about}\n\n${String(part.text)}` }];
  return [{ type: 'text', text: about }, part];
}

function userPart(block: AnthropicContentBlock, at: string, losses: TranslationLoss[]): Record<string, unknown> | undefined {
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
      // OpenAI needs a file sent inline to be named; Claude Code's Read of a PDF gives no title.
      if (source.type === 'base64' && source.media_type && source.data) {
        const filename = typeof block.title === 'string' && block.title !== '' ? block.title : defaultFilename(source.media_type);
        return { type: 'file', file: { filename, file_data: `data:${source.media_type};base64,${source.data}` } };
      }
      if (source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
      break;
    }
    default:
      break;
  }
  losses.push({ param: at, why: `content of type '${block.type}' is only available with an Anthropic provider`, kind: 'content' });
  return undefined;
}

/** The name of an untitled document, by its media type. */
function defaultFilename(mediaType: string): string {
  if (mediaType === 'application/pdf') return 'document.pdf';
  if (mediaType === 'text/plain') return 'document.txt';
  return 'document';
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

/** The text of content parts, one part a line (the parts of a failed tool's result, as the model should read them). */
function textOfParts(parts: ChatMessage['content']): string {
  if (typeof parts === 'string') return parts;
  return (parts ?? []).map((part) => (part.type === 'text' ? String(part.text ?? '') : '')).filter((text) => text !== '').join('\n');
}
