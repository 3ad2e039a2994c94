/**
 * What a request costs, as a kernel service so that budgets (auth) and the usage log agree on one
 * price table. The `gateway:cost` plugin provides it; amounts are micro-dollars (integers) so that
 * counters add them exactly.
 */
import type { ChatCompletionRequest, Usage } from './protocol/openai.js';
import type { Target } from './providers/provider.js';
import { defineService } from './services.js';

export interface Pricing {
  /** The cost of this usage on this target; undefined when the model has no price. */
  costMicros(target: Target, usage: Usage): number | undefined;
  /**
   * An upper estimate before the call: the prompt's estimated tokens at the input price and the
   * most it may answer (`max_tokens`, else `defaultOutputTokens`) at the output price, on the
   * dearest of the targets. 0 when none has a price.
   */
  estimateMicros(targets: readonly Target[], request: ChatCompletionRequest, promptTokens: number): number;
}

export const pricing = defineService<Pricing>('kernel:pricing');
