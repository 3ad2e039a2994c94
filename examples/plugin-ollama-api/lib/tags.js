// @ts-check
/**
 * `GET /api/tags` (docs/api.md, "List Local Models"): the models the gateway serves, as `GET
 * /v1/models` lists them (`provider/model` and virtual models), in Ollama's shape. Ollama's fields
 * about local weights (size, quantization, family) have no meaning for a hosted model: they are
 * left empty; the digest is the name's SHA-256, stable, so clients that key on it can.
 */
import { createHash } from 'node:crypto';

/** @typedef {import('llm-gateway/plugin').ModelObject} ModelObject */
/** @typedef {import('./wire.js').OllamaModel} OllamaModel */

/**
 * @param {readonly ModelObject[]} models
 * @returns {{ models: OllamaModel[] }}
 */
export function tagsOf(models) {
  return {
    models: models.map((model) => ({
      name: model.id,
      model: model.id,
      modified_at: new Date((model.created || 0) * 1000).toISOString(),
      size: 0,
      digest: createHash('sha256').update(model.id).digest('hex'),
      details: { parent_model: '', format: '', family: '', families: null, parameter_size: '', quantization_level: '' },
    })),
  };
}
