/**
 * Which models a client may see in `GET /v1/models`: a plugin that limits what a caller may use
 * (gateway:auth, a key's `models`) provides this service, so that a client listing models to pick
 * one (Cline, Codex, an SDK's model picker) is shown only those its requests would be served with.
 * Several plugins may each provide one: a model is listed only where every one of them lets it be.
 */
import type { Context as KoaContext } from 'koa';
import { defineService } from './services.js';

/**
 * For an HTTP request (already authorized), whether each model may be listed to it; undefined when
 * every model may.
 * @example
 * host.provide(modelVisibility, (http) => (model) => model.startsWith('groq/'));
 */
export type ModelVisibility = (http: KoaContext) => ((model: string) => boolean) | undefined;

export const modelVisibility = defineService<ModelVisibility>('kernel:model-visibility', {
  join: (first, second) => (http) => {
    const a = first(http);
    const b = second(http);
    return a && b ? (model) => a(model) && b(model) : (a ?? b);
  },
});
