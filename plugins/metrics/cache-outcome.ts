import { defineSlot } from 'llm-gateway/plugin';

/**
 * The cache plugin's outcome for a request, read from its slot (same name, so the same
 * `Symbol.for` key): absent when no cache plugin is configured.
 */
export type CacheOutcome = 'hit' | 'semantic-hit' | 'miss' | 'skip' | 'refresh';
export const cacheOutcomeSlot = defineSlot<CacheOutcome>('gateway:cache:outcome');
