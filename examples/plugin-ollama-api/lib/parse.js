// @ts-check
/**
 * What `/api/chat` and `/api/generate` share: checking the fields every generating request may
 * carry, and saying them in OpenAI's terms (the pipeline's request).
 *
 * - `options` (Ollama's Modelfile parameters, docs/api.md "Generate request (With options)"):
 *   temperature, top_p, top_k, seed, stop, presence_penalty and frequency_penalty keep their
 *   names; `num_predict` becomes `max_tokens` (-1 and -2, "until done" and "fill the context", set
 *   no limit). The rest (num_ctx, num_gpu, mirostat, repeat_penalty...) tune a local runtime and
 *   mean nothing to a hosted provider: Ollama ignores unknown options too, and so does this.
 * - `format`: `"json"` → `response_format: {type: 'json_object'}`; a JSON Schema → `json_schema`.
 * - `think`: `false` → `reasoning_effort: 'none'`; `"low" | "medium" | "high"` as they are; `true`
 *   asks for what reasoning models do anyway, so it adds nothing.
 * - `images` (base64, no `data:` prefix) → `image_url` parts with a data URL, the MIME type read
 *   from the image's first bytes.
 * - `stream` defaults to true, as in Ollama; usage is always asked for, so the last line can say
 *   `prompt_eval_count` and `eval_count`.
 */
import { invalidRequest } from 'llm-gateway/plugin';

/** @typedef {import('llm-gateway/plugin').ChatCompletionRequest} ChatCompletionRequest */

/** Most images one message may carry: bounds what a client can make the gateway decode. */
const MAX_IMAGES = 20;

/**
 * The request fields every generating request translates to, besides its messages.
 * @param {Record<string, unknown>} body
 * @returns {Omit<ChatCompletionRequest, 'model' | 'messages'>}
 */
export function generationFields(body) {
  const stream = optionalBoolean(body.stream, 'stream') ?? true;
  /** @type {Omit<ChatCompletionRequest, 'model' | 'messages'>} */
  const fields = { stream, ...(stream ? { stream_options: { include_usage: true } } : {}) };
  Object.assign(fields, translateOptions(body.options), translateFormat(body.format), translateThink(body.think));
  return fields;
}

/** Options whose name and meaning are OpenAI's too, with the type each must have. */
const SAME_NAME = /** @type {const} */ (['temperature', 'top_p', 'top_k', 'seed', 'presence_penalty', 'frequency_penalty']);

/**
 * @param {unknown} options
 * @returns {Record<string, unknown>}
 */
function translateOptions(options) {
  if (options === undefined || options === null) return {};
  const given = record(options, 'options');
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const name of SAME_NAME) {
    const value = optionalNumber(given[name], `options.${name}`);
    if (value !== undefined) out[name] = value;
  }
  const predict = optionalNumber(given.num_predict, 'options.num_predict');
  if (predict !== undefined && predict > 0) out.max_tokens = Math.floor(predict);
  if (given.stop !== undefined && given.stop !== null) {
    const stop = given.stop;
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) throw invalidRequest(`'options.stop' must be an array of strings.`, 'options.stop');
    if (stop.length > 0) out.stop = stop;
  }
  return out;
}

/**
 * @param {unknown} format
 * @returns {Record<string, unknown>}
 */
function translateFormat(format) {
  if (format === undefined || format === null || format === '') return {};
  if (format === 'json') return { response_format: { type: 'json_object' } };
  if (typeof format === 'object' && !Array.isArray(format)) {
    return { response_format: { type: 'json_schema', json_schema: { name: 'response', schema: format } } };
  }
  throw invalidRequest(`'format' must be "json" or a JSON Schema object.`, 'format');
}

/**
 * @param {unknown} think
 * @returns {Record<string, unknown>}
 */
function translateThink(think) {
  if (think === undefined || think === null || think === true) return {};
  if (think === false) return { reasoning_effort: 'none' };
  if (think === 'low' || think === 'medium' || think === 'high') return { reasoning_effort: think };
  throw invalidRequest(`'think' must be true, false, "low", "medium" or "high".`, 'think');
}

/**
 * Ollama's base64 images as OpenAI image parts.
 * @param {unknown} images
 * @param {string} param
 * @returns {Array<{ type: 'image_url'; image_url: { url: string } }>}
 */
export function imageParts(images, param) {
  if (images === undefined || images === null) return [];
  if (!Array.isArray(images) || !images.every((image) => typeof image === 'string' && image !== '')) {
    throw invalidRequest(`'${param}' must be an array of base64-encoded images.`, param);
  }
  if (images.length > MAX_IMAGES) throw invalidRequest(`'${param}' has ${images.length} images; at most ${MAX_IMAGES} are taken.`, param);
  return images.map((image) => ({ type: 'image_url', image_url: { url: image.startsWith('data:') ? image : `data:${mimeOf(image)};base64,${image}` } }));
}

/**
 * The image type from the first base64 characters of its bytes (PNG, JPEG, GIF, WebP); PNG otherwise.
 * @param {string} base64
 */
function mimeOf(base64) {
  if (base64.startsWith('/9j/')) return 'image/jpeg';
  if (base64.startsWith('R0lGOD')) return 'image/gif';
  if (base64.startsWith('UklGR')) return 'image/webp';
  return 'image/png';
}

// ---- Checks --------------------------------------------------------------------------------------

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {Record<string, unknown>}
 */
export function record(value, param) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest(`'${param}' must be an object.`, param);
  return /** @type {Record<string, unknown>} */ (value);
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {string}
 */
export function requiredString(value, param) {
  if (typeof value !== 'string' || value === '') throw invalidRequest(`'${param}' is required and must be a non-empty string.`, param);
  return value;
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {string | undefined}
 */
export function optionalString(value, param) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`'${param}' must be a string.`, param);
  return value;
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {number | undefined}
 */
function optionalNumber(value, param) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidRequest(`'${param}' must be a number.`, param);
  return value;
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {boolean | undefined}
 */
function optionalBoolean(value, param) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`'${param}' must be true or false.`, param);
  return value;
}
