/**
 * Services shared between plugins, kept in a tsyringe container that stays inside the kernel:
 * plugin authors use typed tokens and `host.provide` / `host.resolve`, never decorators.
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';

/** A typed name for a service. Create it once, in the module of the plugin that provides it. */
export interface ServiceToken<T> {
  readonly key: symbol;
  readonly description: string;
  /** Phantom field: carries T for type inference only. */
  readonly __type?: T;
}

/**
 * The key is `Symbol.for` the description, so a plugin package that resolves its own copy of
 * `llm-gateway` still meets the same service: name it after the plugin that provides it.
 * @example
 * export const usageStore = defineService<UsageStore>('usage-logger:store');
 * host.provide(usageStore, store);          // in the owning plugin's setup
 * const store = host.resolve(usageStore);   // in another plugin's setup
 */
export function defineService<T>(description: string): ServiceToken<T> {
  return { key: Symbol.for(`llm-gateway.service:${description}`), description };
}

export class ServiceRegistry {
  private readonly container: DependencyContainer = rootContainer.createChildContainer();
  /**
   * What each token resolved to: a provided instance never changes, and plugins look services up
   * per request (a price table, a breaker's state), where the container's own lookup cost 1–2 µs
   * each. Keyed by tokens, which code defines: as many as there are services.
   */
  private readonly resolved = new Map<symbol, unknown>();

  provide<T>(token: ServiceToken<T>, value: T): void {
    if (this.container.isRegistered(token.key)) {
      throw new Error(`service "${token.description}" is provided twice`);
    }
    this.container.registerInstance(token.key, value);
    this.resolved.set(token.key, value);
  }

  resolve<T>(token: ServiceToken<T>): T {
    if (!this.resolved.has(token.key)) {
      throw new Error(`service "${token.description}" is not provided: is the plugin that provides it configured before this one?`);
    }
    return this.resolved.get(token.key) as T;
  }

  tryResolve<T>(token: ServiceToken<T>): T | undefined {
    return this.resolved.get(token.key) as T | undefined;
  }

  dispose(): void {
    this.resolved.clear();
    this.container.clearInstances();
  }
}
