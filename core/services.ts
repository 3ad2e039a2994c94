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
  /** Joins a second value provided for the token into the first; without it, a second `provide` fails. */
  readonly join?: (first: T, second: T) => T;
}

export interface ServiceOptions<T> {
  /**
   * For a service several plugins may each provide a part of (what a caller may see: each plugin
   * that limits it), how two values become one. Whoever resolves the service after setup sees them
   * joined, in the order the plugins were configured.
   */
  join?: (first: T, second: T) => T;
}

/**
 * The key is `Symbol.for` the description, so a plugin package that resolves its own copy of
 * `llm-gateway` still meets the same service: name it after the plugin that provides it.
 * @example
 * export const usageStore = defineService<UsageStore>('usage-logger:store');
 * host.provide(usageStore, store);          // in the owning plugin's setup
 * const store = host.resolve(usageStore);   // in another plugin's setup
 */
export function defineService<T>(description: string, options: ServiceOptions<T> = {}): ServiceToken<T> {
  return { key: Symbol.for(`llm-gateway.service:${description}`), description, ...(options.join ? { join: options.join } : {}) };
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
    if (this.resolved.has(token.key)) {
      if (!token.join) throw new Error(`service "${token.description}" is provided twice`);
      value = token.join(this.resolved.get(token.key) as T, value);
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
