// @ts-check
/**
 * `POST /api/generate`: Ollama's completion API (docs/api.md, "Generate a completion"), served as a
 * chat: `system` becomes a system message, `prompt` (with its `images`) the user message.
 *
 * What a chat API cannot do is refused with a 400 rather than answered wrongly: `suffix`
 * (fill-in-the-middle), `raw` prompts and `template` (both are about the local prompt template),
 * and `context`, the deprecated token memory of an earlier answer (answers carry none). An empty
 * prompt, which asks Ollama to load a model into memory, has nothing to load here and is refused too.
 */
import { defineFrontEnd, invalidRequest } from 'llm-gateway/plugin';
import { doneReason, metricsOf, ndjsonAnswer } from './answer.js';
import { renderOllamaError } from './errors.js';
import { generationFields, imageParts, optionalString, requiredString } from './parse.js';

/** @typedef {import('llm-gateway/plugin').ChatCompletion} ChatCompletion */
/** @typedef {import('llm-gateway/plugin').ChatMessage} ChatMessage */
/** @typedef {import('./wire.js').OllamaGenerateResponse} OllamaGenerateResponse */
/** @typedef {import('./chat.js').ClientModel} ClientModel */

export const generateApi = defineFrontEnd(
  /** @type {import('llm-gateway/plugin').FrontEnd<ClientModel>} */ ({
    endpoint: 'ollama.generate',
    paths: ['/api/generate'],
    streamContentType: 'application/x-ndjson',
    parse(body) {
      const model = requiredString(body.model, 'model');
      refuseLocalOnly(body);
      const prompt = requiredString(body.prompt, 'prompt');
      const system = optionalString(body.system, 'system');
      const images = imageParts(body.images, 'images');
      /** @type {ChatMessage[]} */
      const messages = [
        ...(system ? [{ role: /** @type {const} */ ('system'), content: system }] : []),
        { role: 'user', content: images.length > 0 ? [{ type: 'text', text: prompt }, ...images] : prompt },
      ];
      return { operation: 'chat', request: { model, messages, ...generationFields(body) }, state: { model } };
    },
    renderJson(ctx, answer, { model }) {
      const completion = /** @type {ChatCompletion} */ (answer);
      const choice = completion.choices[0];
      const thinking = choice?.message.reasoning_content;
      /** @type {OllamaGenerateResponse} */
      const out = {
        model,
        created_at: new Date().toISOString(),
        response: typeof choice?.message.content === 'string' ? choice.message.content : '',
        ...(typeof thinking === 'string' && thinking !== '' ? { thinking } : {}),
        done: true,
        done_reason: doneReason(choice?.finish_reason),
        ...metricsOf(ctx, completion.usage ?? ctx.usage),
      };
      return out;
    },
    renderStream: (ctx, chunks, { model }) =>
      ndjsonAnswer(ctx, chunks, {
        part: (piece) => ({ model, created_at: new Date().toISOString(), response: piece.content ?? '', ...(piece.thinking ? { thinking: piece.thinking } : {}), done: false }),
        last: (reason, metrics) => ({ model, created_at: new Date().toISOString(), response: '', done: true, done_reason: reason, ...metrics }),
      }),
    renderError: renderOllamaError,
  }),
);

/**
 * Fields that only mean something to a local Ollama with its own prompt templates.
 * @param {Record<string, unknown>} body
 */
function refuseLocalOnly(body) {
  if (typeof body.suffix === 'string' && body.suffix !== '') {
    throw invalidRequest(`'suffix' (fill-in-the-middle) is not supported: the gateway's providers are reached through a chat API.`, 'suffix', 'unsupported_parameter');
  }
  if (body.raw === true) throw invalidRequest(`'raw' prompts are not supported: the provider applies its own chat template.`, 'raw', 'unsupported_parameter');
  if (typeof body.template === 'string' && body.template !== '') {
    throw invalidRequest(`'template' is not supported: the provider applies its own chat template.`, 'template', 'unsupported_parameter');
  }
  if (Array.isArray(body.context) && body.context.length > 0) {
    throw invalidRequest(`'context' is not supported: send the conversation to /api/chat instead.`, 'context', 'unsupported_parameter');
  }
}
