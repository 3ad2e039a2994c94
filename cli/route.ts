/**
 * `llm-gateway route --model X [--header k:v]... [--metadata k=v]... [--prompt-tokens N]`: which rule
 * matches a request like this, and which targets would be tried, without calling anything.
 */
import { createGateway } from '../index.js';
import { loadConfigFile } from '../core/config/load-config.js';
import { silentLogger } from '../core/logger.js';
import { ruleRouter } from '../plugins/rules/index.js';

export interface RouteOptions {
  config: string | undefined;
  model: string | undefined;
  headers: string[];
  metadata: string[];
  promptTokens: string | undefined;
  /** The caller's key name and team, for rules on them. */
  key: string | undefined;
  team: string | undefined;
}

export async function routeCommand(options: RouteOptions): Promise<number> {
  if (!options.model) {
    process.stderr.write('llm-gateway route needs --model, e.g. llm-gateway route --model coding --header x-tier:batch\n');
    return 2;
  }
  const headers: Record<string, string> = {};
  for (const pair of options.headers) {
    const colon = pair.indexOf(':');
    if (colon <= 0) return usage(`--header takes name:value (found "${pair}")`);
    headers[pair.slice(0, colon).trim().toLowerCase()] = pair.slice(colon + 1).trim();
  }
  const metadata: Record<string, string> = {};
  for (const pair of options.metadata) {
    const equals = pair.indexOf('=');
    if (equals <= 0) return usage(`--metadata takes key=value (found "${pair}")`);
    metadata[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  const promptTokens = options.promptTokens === undefined ? 0 : Number(options.promptTokens);
  if (!Number.isInteger(promptTokens) || promptTokens < 0) return usage(`--prompt-tokens takes a whole number (found "${options.promptTokens}")`);

  let gateway;
  try {
    const loaded = await loadConfigFile(options.config);
    // Beside a running gateway on the same SQLite file: it only reads the counters, as `check` does.
    gateway = await createGateway(loaded.config, { baseDir: loaded.baseDir, logger: silentLogger, storeOptions: { saveCounters: false } });
  } catch (error) {
    process.stderr.write(`✗ config is invalid\n  ${(error as Error).message.split('\n').join('\n  ')}\n`);
    return 1;
  }
  try {
    const key = options.key !== undefined || options.team !== undefined ? { id: options.key ?? '', name: options.key ?? '', team: options.team } : undefined;
    const facts = { model: options.model, headers, metadata, promptTokens, key };
    const rules = gateway.tryResolve(ruleRouter);
    const decision = rules ? rules.explain(facts) : { rule: undefined, route: gateway.models.resolve(options.model) };
    const { route } = decision;
    const virtual = route.virtualModel ? gateway.config.models.get(route.virtualModel) : undefined;
    const lines = [
      `model:    ${options.model}`,
      `rule:     ${decision.rule ?? (rules ? 'none matched' : 'no rules plugin configured')}`,
      `route:    ${route.virtualModel ? `virtual model ${route.virtualModel} (strategy ${virtual?.strategy ?? "the routing plugin's default, else fallback"})` : route.reason}`,
      'targets:',
      ...route.targets.map((t, i) => `  ${i + 1}. ${t.provider}/${t.model}${t.params ? ` params=${JSON.stringify(t.params)}` : ''}`),
    ];
    if (route.targets.length > 1 && virtual?.strategy !== undefined && virtual.strategy !== 'fallback') lines.push(`(the ${virtual.strategy} strategy reorders these per request)`);
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } catch (error) {
    process.stderr.write(`✗ ${(error as Error).message}\n`);
    return 1;
  } finally {
    await gateway.close();
  }
}

function usage(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}
