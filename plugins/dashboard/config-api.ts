/**
 * `/admin/config`: live configuration as a JSON API, so everything the dashboard changes is
 * scriptable. Providers and virtual models as in force (each with its origin: the config file, a
 * live override, or removed by one), secrets masked; set one, patch one (`{ "enabled": false }`,
 * `{ "limits": { "rpm": 30 } }`), remove one, revert one to the file; the audit trail. It lives in
 * this plugin, not the kernel, because this plugin is what demands the admin key: the kernel alone
 * serves every route openly when no plugin authorizes, and a live config change must never be open.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayError, checkEntryName, grantedAdmin, invalidRequest, notFound, readJsonBody, type LiveConfig, type LiveKind, type PluginHost, type ProviderConfig, type VirtualModelConfig } from 'llm-gateway/plugin';
import { checkSecretDestinations } from './secret-destinations.js';
import { SECRET_NAME, masked, sealed } from './secrets.js';

const KINDS: Record<string, LiveKind> = { providers: 'provider', models: 'model' };

/** Who made a change, for the audit trail. */
export const actorOf = (http: KoaContext): string => grantedAdmin(http) ?? 'admin key';

export async function effectiveView(live: LiveConfig) {
  const { providers, models } = live.effective();
  const show = async <T>(entry: { name: string; origin: string; value: T | undefined; file: T | undefined }) => ({
    name: entry.name,
    origin: entry.origin,
    value: await masked(entry.value, live),
    ...(entry.origin !== 'file' && entry.file !== undefined ? { file: await masked(entry.file, live) } : {}),
  });
  return { providers: await Promise.all(providers.map(show)), models: await Promise.all(models.map(show)) };
}

/** Applies a change, turning a refused one (ConfigError) into a 400 that lists the problems. */
export async function applying(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if ((error as Error).name === 'ConfigError') throw invalidRequest(`The change was refused, nothing changed: ${(error as Error).message.replace(/:?\n\s*/g, '; ')}`);
    throw error;
  }
}

/** The entry in force now, for a patch. */
export function current(live: LiveConfig, kind: LiveKind, name: string): Record<string, unknown> | undefined {
  const { providers, models } = live.effective();
  return (kind === 'provider' ? providers : models).find((e) => e.name === name)?.value as Record<string, unknown> | undefined;
}

/**
 * Sets a provider (secrets sealed) or a virtual model. `given`: what the change itself said (a
 * PATCH's patch, a form's fields), where `value` is the whole entry it makes.
 */
export async function setEntry(live: LiveConfig, kind: LiveKind, name: string, value: Record<string, unknown>, actor: string, given: Record<string, unknown> = value): Promise<void> {
  if (kind === 'provider') {
    if (typeof value.type !== 'string') throw invalidRequest('A provider needs a "type" (openai-compatible, openai, anthropic, gemini, azure, ...).', 'type');
    // Switched back on after being kept disabled without its secrets (no LLM_GATEWAY_SECRETS_KEY), or
    // changed by a client that never saw them (they are masked): they come back from the file,
    // unless the change names them as null (an Azure provider moving from its key to Entra ID).
    const inForce = live.effective().providers.find((p) => p.name === name);
    const file = inForce?.file as Record<string, unknown> | undefined;
    const restored = value.enabled !== false && file ? Object.fromEntries(Object.entries(file).filter(([option]) => SECRET_NAME.test(option) && !(option in value))) : {};
    const candidate: Record<string, unknown> = Object.fromEntries(Object.entries({ ...restored, ...value }).filter(([, v]) => v !== null));
    if (candidate.enabled === true) delete candidate.enabled;
    checkSecretDestinations(name, candidate, given, [inForce?.value as Record<string, unknown> | undefined, file]);
    // Exactly the file's entry again: drop the override rather than keep a copy of it.
    if (file && canonical(candidate) === canonical(file)) return applying(() => live.revert('provider', name, actor));
    const { entry, undo } = await sealed(name, candidate as ProviderConfig, live);
    try {
      await applying(() => live.set('provider', name, entry, actor));
    } catch (error) {
      await undo();
      throw error;
    }
  } else {
    if (!Array.isArray(value.targets)) throw invalidRequest('A virtual model needs "targets": a list of "provider/model" or { model, weight, priority }.', 'targets');
    await applying(() => live.set('model', name, value as unknown as VirtualModelConfig, actor));
  }
}

export function addConfigRoutes(host: PluginHost): void {
  const { live } = host;
  const params = (http: KoaContext) => {
    const kind = KINDS[String(http.params.kind)];
    if (!kind) throw notFound(`Unknown section '${String(http.params.kind)}': use providers or models.`, 'unknown_url');
    const name = String(http.params.name);
    checkEntryName(kind, name);
    return { kind, name };
  };
  const body = async (http: KoaContext) => {
    const value = await readJsonBody(http.req, 256 * 1024);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest('The body must be a JSON object.');
    return value as Record<string, unknown>;
  };

  host.route({ method: 'GET', path: '/admin/config', handler: async (http) => void (http.body = { object: 'config', ...(await effectiveView(live)) }) });
  host.route({
    method: 'GET',
    path: '/admin/config/audit',
    handler: async (http) => {
      const limit = Number(http.query.limit ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidRequest('limit must be an integer from 1 to 1000.', 'limit');
      http.body = { object: 'list', data: await live.audit(limit) };
    },
  });
  host.route({
    method: 'PUT',
    path: '/admin/config/:kind/:name',
    handler: async (http) => {
      const { kind, name } = params(http);
      await setEntry(live, kind, name, await body(http), actorOf(http));
      http.body = { object: 'config', ...(await effectiveView(live)) };
    },
  });
  host.route({
    method: 'PATCH',
    path: '/admin/config/:kind/:name',
    handler: async (http) => {
      const { kind, name } = params(http);
      const before = current(live, kind, name);
      if (!before) throw notFound(`No ${kind} '${name}' is in force.`, `${kind}_not_found`);
      const patch = await body(http);
      // A null removes the option; setEntry reads it as "not the file's secret either".
      const next = kind === 'provider' ? { ...before, ...patch } : Object.fromEntries(Object.entries({ ...before, ...patch }).filter(([, v]) => v !== null));
      await setEntry(live, kind, name, next, actorOf(http), patch);
      http.body = { object: 'config', ...(await effectiveView(live)) };
    },
  });
  host.route({
    method: 'DELETE',
    path: '/admin/config/:kind/:name',
    handler: async (http) => {
      const { kind, name } = params(http);
      if (!current(live, kind, name)) throw notFound(`No ${kind} '${name}' is in force.`, `${kind}_not_found`);
      await applying(() => live.set(kind, name, null, actorOf(http)));
      http.body = { object: 'config', ...(await effectiveView(live)) };
    },
  });
  host.route({
    method: 'POST',
    path: '/admin/config/:kind/:name/revert',
    handler: async (http) => {
      const { kind, name } = params(http);
      const entries = kind === 'provider' ? live.effective().providers : live.effective().models;
      if (!entries.some((e) => e.name === name && e.origin !== 'file')) throw new GatewayError('invalid_request', `${kind} '${name}' has no live override to revert.`, { code: 'no_override' });
      await applying(() => live.revert(kind, name, actorOf(http)));
      http.body = { object: 'config', ...(await effectiveView(live)) };
    },
  });
}

/** JSON with keys sorted, to compare entries whatever order their options were written in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}
