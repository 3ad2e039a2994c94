/**
 * What a request costs, as a service so that budgets (auth) and the usage log agree on one price
 * table. gateway:cost provides it; amounts are micro-dollars (integers) so that counters add them
 * exactly.
 */
import { defineService, type ChatCompletionRequest, type NativeRequest, type Target, type Usage } from 'llm-gateway/plugin';

export interface Pricing {
  /** The cost of this usage on this target; undefined when the model has no price. */
  costMicros(target: Target, usage: Usage): number | undefined;
  /**
   * An upper estimate before the call: the prompt's estimated tokens at the input price (at the
   * cache write price when the request marks content for the provider's cache, the 1-hour one
   * for a mark with `ttl: '1h'`) and the most it may answer (`max_tokens`, else `outputTokens`
   * when given, else `defaultOutputTokens`) at the output price, on the dearest of the targets. 0
   * when none has a price. `native` is the client's own request when it is what goes upstream
   * (`ctx.nativeRequest()`): its marks on Anthropic tool definitions count too.
   */
  estimateMicros(targets: readonly Target[], request: ChatCompletionRequest, promptTokens: number, outputTokens?: number, native?: NativeRequest): number;
}

export const pricing = defineService<Pricing>('cost:pricing');
