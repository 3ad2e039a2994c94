/**
 * Builds provider instances from the config with the provider types plugins contribute, checking
 * each instance's options against its type's schema first.
 */
import { ConfigError } from '../config/config-error.js';
import type { ProviderConfig } from '../config/kernel-config.js';
import { SECRET_NAME } from '../config/resolve-config.js';
import type { Logger } from '../logger.js';
import { formatIssues, validate } from '../validation.js';
import type { Provider, ProviderType } from './provider.js';
import type { UnsupportedParamsPolicy } from './unsupported.js';

export class ProviderRegistry {
  private readonly byId = new Map<string, Provider>();
  private readonly policies = new Map<string, UnsupportedParamsPolicy>();

  constructor(private readonly types: ReadonlyMap<string, ProviderType<never>>) {}

  static collectTypes(contributions: ReadonlyArray<{ plugin: string; types: readonly ProviderType<never>[] }>): Map<string, ProviderType<never>> {
    const types = new Map<string, ProviderType<never>>();
    const owner = new Map<string, string>();
    for (const { plugin, types: list } of contributions) {
      for (const type of list) {
        if (types.has(type.type)) {
          throw new ConfigError(`provider type "${type.type}" is contributed by both ${owner.get(type.type)} and ${plugin}`);
        }
        types.set(type.type, type);
        owner.set(type.type, plugin);
      }
    }
    return types;
  }

  /** Validates every entry, reporting all problems at once, then creates the instances. */
  createAll(entries: ReadonlyArray<{ id: string; options: ProviderConfig }>, logger: Logger): void {
    const problems: string[] = [];
    const valid: Array<{ id: string; options: ProviderConfig; type: ProviderType<never> }> = [];
    for (const { id, options } of entries) {
      const type = this.types.get(options.type);
      if (!type) {
        problems.push(`config/providers/${id}/type must be one of: ${[...this.types.keys()].map((t) => JSON.stringify(t)).join(', ')} (found ${JSON.stringify(options.type)})`);
        continue;
      }
      // The options every type shares are the kernel's to check (config/schema.ts), not the type's.
      const { type: _type, enabled: _enabled, models: _models, unsupportedParams: _policy, ...own } = options;
      const secretNames = new Set(type.secretOptions ?? []);
      const issues = validate(type.schema, own, (path) => {
        const name = path.split('/')[1] ?? '';
        return secretNames.has(name) || SECRET_NAME.test(name);
      });
      if (issues.length > 0) problems.push(...formatIssues(`config/providers/${id}`, issues).split('\n'));
      else valid.push({ id, options: { ...options, ...own }, type });
    }
    if (problems.length > 0) throw new ConfigError('invalid provider config', problems);
    for (const { id, options, type } of valid) {
      this.byId.set(id, type.create(options as never, { id, logger: logger.child(`provider:${id}`) }));
      this.policies.set(id, options.unsupportedParams ?? 'error');
    }
  }

  /** What provider `id` does with a part of a request it cannot express (`unsupportedParams`). */
  policy(id: string): UnsupportedParamsPolicy {
    return this.policies.get(id) ?? 'error';
  }

  get(id: string): Provider | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  all(): Provider[] {
    return [...this.byId.values()];
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.all().map(async (provider) => provider.close?.()));
  }
}
