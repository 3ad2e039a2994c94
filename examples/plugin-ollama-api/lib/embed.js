// @ts-check
/**
 * Ollama's embeddings APIs (docs/api.md, "Generate Embeddings"), through the pipeline's embeddings
 * operation: `POST /api/embed` (`input`: a text or a list of texts → `embeddings`) and the older
 * `POST /api/embeddings` it supersedes (`prompt` → `embedding`), which clients still call.
 */
import { defineFrontEnd, invalidRequest } from 'llm-gateway/plugin';
import { metricsOf } from './answer.js';
import { renderOllamaError } from './errors.js';
import { requiredString } from './parse.js';

/** @typedef {import('llm-gateway/plugin').EmbeddingsResponse} EmbeddingsResponse */
/** @typedef {import('./chat.js').ClientModel} ClientModel */

/** Most texts one request may embed. */
const MAX_INPUTS = 2048;

export const embedApi = defineFrontEnd(
  /** @type {import('llm-gateway/plugin').FrontEnd<ClientModel>} */ ({
    endpoint: 'ollama.embed',
    paths: ['/api/embed'],
    parse(body) {
      const model = requiredString(body.model, 'model');
      const input = body.input;
      const texts = typeof input === 'string' ? [input] : input;
      if (!Array.isArray(texts) || texts.length === 0 || !texts.every((text) => typeof text === 'string')) {
        throw invalidRequest(`'input' must be a text or a non-empty list of texts.`, 'input');
      }
      if (texts.length > MAX_INPUTS) throw invalidRequest(`'input' has ${texts.length} texts; at most ${MAX_INPUTS} are taken.`, 'input');
      const dimensions = typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {};
      return { operation: 'embeddings', request: { model, input: /** @type {string[]} */ (texts), encoding_format: 'float', ...dimensions }, state: { model } };
    },
    renderJson(ctx, answer, { model }) {
      const result = /** @type {EmbeddingsResponse} */ (answer);
      const { total_duration, load_duration, prompt_eval_count } = metricsOf(ctx, { prompt_tokens: result.usage?.prompt_tokens ?? 0, completion_tokens: 0, total_tokens: 0 });
      return { model, embeddings: result.data.map((item) => vector(item.embedding)), total_duration, load_duration, prompt_eval_count };
    },
    renderStream: noStream,
    renderError: renderOllamaError,
  }),
);

export const legacyEmbeddingsApi = defineFrontEnd(
  /** @type {import('llm-gateway/plugin').FrontEnd<ClientModel>} */ ({
    endpoint: 'ollama.embeddings',
    paths: ['/api/embeddings'],
    parse(body) {
      const model = requiredString(body.model, 'model');
      const prompt = requiredString(body.prompt, 'prompt');
      return { operation: 'embeddings', request: { model, input: prompt, encoding_format: 'float' }, state: { model } };
    },
    renderJson: (_ctx, answer) => ({ embedding: vector(/** @type {EmbeddingsResponse} */ (answer).data[0]?.embedding ?? []) }),
    renderStream: noStream,
    renderError: renderOllamaError,
  }),
);

/**
 * Floats are asked for; a provider that answers base64 anyway is decoded (little-endian float32s).
 * @param {number[] | string} embedding
 * @returns {number[]}
 */
function vector(embedding) {
  if (typeof embedding !== 'string') return embedding;
  const bytes = Buffer.from(embedding, 'base64');
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4)));
}

/** Embeddings are never streamed. */
async function* noStream() {}
