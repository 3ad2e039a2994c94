/**
 * `llm-gateway check`: validate a config the way `start` would (schema, environment variables,
 * plugins, provider options) without listening or calling anything, then print the resolved
 * pipeline with secrets masked. Exit code 1 and the problems, each with its path, when it cannot run.
 */
import { createGateway, dashboardStatus, type Gateway } from '../index.js';
import { loadConfigFile } from '../core/config/load-config.js';
import { SECRET_NAME } from '../core/config/resolve-config.js';
import { silentLogger } from '../core/logger.js';
import { maskUrlPasswords } from '../core/mask-urls.js';
import { mask } from '../core/validation.js';
import { DEFAULT_USAGE_LOG } from '../plugins/usage-logger/index.js';

export async function checkCommand(options: { config: string | undefined; host?: string | undefined }): Promise<number> {
  let gateway: Gateway;
  let filepath: string | undefined;
  try {
    const loaded = await loadConfigFile(options.config);
    filepath = loaded.filepath;
    // Beside a running gateway on the same SQLite file: it only reads the counters, as `keys` does.
    gateway = await createGateway(loaded.config, { baseDir: loaded.baseDir, logger: silentLogger, storeOptions: { saveCounters: false } });
  } catch (error) {
    process.stderr.write(`✗ config is invalid\n${indent((error as Error).message)}\n`);
    return 1;
  }
  process.stdout.write(describeGateway(gateway, filepath, options.host) + '\n');
  await gateway.close();
  return 0;
}

export function describeGateway(gateway: Gateway, filepath: string | undefined, host?: string): string {
  const { config, plugins } = gateway;
  const lines: string[] = [];
  lines.push(`config: ${filepath ?? '(no file: defaults and environment)'}`);
  lines.push(`server: http://${host ?? config.server.host}:${config.server.port}  body limit ${config.server.bodyLimit} bytes, shutdown deadline ${config.server.shutdownTimeoutMs} ms`);
  lines.push(`store: ${maskUrlPasswords(config.store)}`);
  if (plugins.some((p) => p.name === 'gateway:usage-logger')) lines.push(`usage log: ${maskUrlPasswords(String(config.sections.usageLog ?? DEFAULT_USAGE_LOG))}`);
  const { adminKey } = config.server;
  lines.push(`admin routes: ${adminKey ? `need the admin key (${String(mask(adminKey))})` : 'off (no admin key: set LLM_GATEWAY_ADMIN_KEY or server.adminKey)'}`);
  const board = gateway.tryResolve(dashboardStatus);
  if (board) lines.push(`dashboard: ${board.enabled ? `on at ${board.path} (log in with the admin key)` : `off: ${board.reason ?? 'no admin key'}`}`);
  lines.push('', 'providers:');
  if (config.providers.length === 0) lines.push('  (none: every request will fail with 404; set a provider variable or add providers)');
  for (const { id, options } of config.providers) {
    lines.push(`  ${id.padEnd(14)} ${String(options.type).padEnd(18)} ${describeOptions(options, config.secrets)}`);
  }
  lines.push('', 'virtual models:');
  if (config.models.size === 0) lines.push('  (none)');
  // A model that names no strategy has the routing plugin's default; without that plugin, targets go in order.
  const unnamed = plugins.some((p) => p.name === 'gateway:routing') ? "routing's default" : 'fallback';
  for (const model of config.models.values()) {
    lines.push(`  ${model.name.padEnd(14)} ${(model.strategy ?? unnamed).padEnd(18)} ${model.targets.map((t) => `${t.provider}/${t.model}`).join(' → ')}`);
  }
  const middleware = plugins.filter((p) => p.middleware);
  const upstream = plugins.filter((p) => p.upstream);
  lines.push('', 'request pipeline (once per client request):');
  middleware.forEach((p, i) => lines.push(`  ${i + 1}. ${p.name}${p.order ? ` (${p.order})` : ''}`));
  lines.push(`  ${middleware.length + 1}. dispatch: model → targets → upstream pipeline`);
  lines.push('', 'upstream pipeline (once per try):');
  upstream.forEach((p, i) => lines.push(`  ${i + 1}. ${p.name}`));
  lines.push(`  ${upstream.length + 1}. provider call`);
  lines.push('', `plugins: ${plugins.map((p) => p.name).join(', ')}`);

  const warnings = warningsFor(gateway, host ?? config.server.host);
  if (warnings.length > 0) lines.push('', 'warnings:', ...warnings.map((w) => `  ! ${w}`));
  lines.push('', '✓ config is valid');
  return lines.join('\n');
}

/**
 * The warning for a gateway without auth, by where it listens: on this machine, a note; on any
 * other address, an open proxy to the provider keys it holds. `start` logs it too, for the host it
 * really listens on (`--host`, `HOST`).
 */
export function openGatewayWarning(gateway: Gateway, host: string): string | undefined {
  if (gateway.plugins.some((p) => p.name === 'gateway:auth')) return undefined;
  return isLocalHost(host)
    ? 'no auth plugin: the gateway is open to anyone on this machine'
    : `no auth plugin and the gateway listens on ${host}: anyone who can reach it spends your provider credits (add auth() to the config's plugins: docs/keys-and-usage.md)`;
}

export function isLocalHost(host: string): boolean {
  return ['127.0.0.1', 'localhost', '::1'].includes(host);
}

function warningsFor(gateway: Gateway, host: string): string[] {
  const warnings: string[] = [];
  const { config } = gateway;
  const open = openGatewayWarning(gateway, host);
  if (open) warnings.push(open);
  const board = gateway.tryResolve(dashboardStatus);
  if (board && !board.enabled) warnings.push(`the dashboard is configured but off: ${board.reason ?? 'no admin key'}`);
  if (config.providers.some((p) => p.options.type === 'demo')) warnings.push('the demo provider answers with canned text; configure a real provider for real answers');
  warnings.push(...(gateway.store.warnings ?? []));
  return warnings;
}

function describeOptions(options: Record<string, unknown>, secrets: ReadonlySet<string>): string {
  return Object.entries(options)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${JSON.stringify(maskDeep(key, value, secrets))}`)
    .join(' ');
}

function maskDeep(key: string, value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return SECRET_NAME.test(key) || secrets.has(value) ? mask(value) : maskUrlPasswords(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(key, v, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(k, v, secrets)]));
  }
  return value;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}
