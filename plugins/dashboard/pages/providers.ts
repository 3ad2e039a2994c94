/**
 * Providers and virtual models: what is in force (file or live override), each deployment's
 * health, circuit state and limit headroom; add a provider (its key sealed in the secret store),
 * switch one on or off, edit its limits; add and edit virtual models (targets, weights,
 * priorities, strategy); revert an override to the file's entry.
 */
import type { Context as KoaContext } from 'koa';
import { checkEntryName, invalidRequest, type PluginHost } from 'llm-gateway/plugin';
import { circuitBreakerState } from 'llm-gateway/plugins/circuit-breaker';
import { limitHeadroom } from 'llm-gateway/plugins/rate-limits';
import { STRATEGIES } from 'llm-gateway/plugins/routing';
import { actorOf, applying, current, setEntry } from '../config-api.js';
import { compact, jsonObjectField, numberField, numberFrom, readForm, textField, typedForm, type PageKit } from '../kit.js';
import { SECRET_NAME, masked } from '../secrets.js';

const LIMITS = ['rpm', 'tpm', 'rpd', 'tpd', 'concurrency'] as const;
const TYPES = ['openai-compatible', 'openai', 'anthropic', 'gemini', 'azure-openai', 'demo'];

export function providerPages(kit: PageKit) {
  const { host } = kit;
  const { live } = host;

  async function view(http: KoaContext, extra: Record<string, unknown> = {}) {
    const effective = live.effective();
    const health = host.health.all();
    const circuits = new Map((await host.tryResolve(circuitBreakerState)?.snapshot().catch(() => []))?.map((c) => [c.deployment, c]) ?? []);
    const headroom = host.tryResolve(limitHeadroom);
    const providers = await Promise.all(
      effective.providers.map(async (entry) => {
        const value = (entry.value ?? entry.file ?? {}) as Record<string, unknown>;
        const shown = (await masked(value, live)) as Record<string, unknown>;
        const deployments = await Promise.all(
          health
            .filter((h) => h.provider === entry.name)
            .map(async (h) => ({
              deployment: h.deployment,
              requests: h.requests,
              errorRate: `${(h.errorRate * 100).toFixed(0)}%`,
              latency: h.latencyMs === undefined ? '—' : `${Math.round(h.latencyMs)} ms`,
              lastError: h.lastError,
              circuit: circuits.get(h.deployment)?.state ?? (host.tryResolve(circuitBreakerState) ? 'closed' : '—'),
              headroom: headroom ? ((await headroom.hasHeadroom({ provider: h.provider, model: h.model }).catch(() => true)) ? 'yes' : 'at limit') : '—',
            })),
        );
        return {
          name: entry.name,
          origin: entry.origin,
          enabled: entry.origin !== 'removed' && value.enabled !== false,
          type: String(value.type ?? '?'),
          baseURL: typeof shown.baseURL === 'string' ? shown.baseURL : '',
          key: Object.entries(shown).filter(([k]) => SECRET_NAME.test(k)).map(([k, v]) => `${k}: ${String(v)}`).join(', '),
          limits: (value.limits ?? {}) as Record<string, number>,
          deployments,
        };
      }),
    );
    const models = effective.models.map((entry) => {
      const value = entry.value ?? entry.file;
      const targets = (value?.targets ?? []).map((t) => (typeof t === 'string' ? { model: t } : t));
      return { name: entry.name, origin: entry.origin, removed: entry.origin === 'removed', strategy: value?.strategy ?? '', description: value?.description ?? '', targets };
    });
    await kit.page(http, 'providers', {
      title: 'Providers & models',
      active: 'providers',
      providers,
      models,
      limitNames: LIMITS,
      types: TYPES,
      strategies: STRATEGIES,
      secretsEnabled: live.secrets.enabled,
      ...extra,
    });
  }

  /** Runs a change and shows the page again with what happened (a refusal is shown, not thrown). */
  const act = (work: (http: KoaContext, form: URLSearchParams) => Promise<string>) => async (http: KoaContext) => {
    const form = await readForm(http);
    try {
      await view(http, { notice: await work(http, form) });
    } catch (error) {
      await view(http, { error: (error as Error).message, typed: typedForm(http, form, ['apiKey']) });
    }
  };

  const providerName = (http: KoaContext) => String(http.params.name);

  return {
    view: (http: KoaContext) => view(http),

    add: act(async (http, form) => {
      const name = textField(form, 'name') ?? '';
      checkEntryName('provider', name);
      if (current(live, 'provider', name)) throw invalidRequest(`A provider '${name}' exists already: edit it instead.`, 'name');
      // A type's other options (Azure's `endpoint` and `entraId`, Anthropic's `beta`) as JSON; the fields above win.
      const entry = { ...jsonObjectField(form, 'options'), ...compact({ type: textField(form, 'type'), baseURL: textField(form, 'baseURL'), apiKey: textField(form, 'apiKey') }) };
      await setEntry(live, 'provider', name, entry, actorOf(http));
      return `Provider ${name} added.`;
    }),

    toggle: act(async (http, form) => {
      const name = providerName(http);
      const entry = current(live, 'provider', name);
      if (!entry) throw invalidRequest(`No provider '${name}'.`);
      const enable = form.get('enabled') === 'true';
      // Back to exactly the file's entry (its key included), setEntry drops the override instead.
      await setEntry(live, 'provider', name, { ...entry, enabled: enable }, actorOf(http), { enabled: enable });
      return `Provider ${name} ${enable ? 'enabled' : 'disabled'}.`;
    }),

    limits: act(async (http, form) => {
      const name = providerName(http);
      const entry = current(live, 'provider', name);
      if (!entry) throw invalidRequest(`No provider '${name}'.`);
      const limits = compact(Object.fromEntries(LIMITS.map((l) => [l, numberField(form, l)])));
      const next: Record<string, unknown> = { ...entry, limits };
      if (Object.keys(limits).length === 0) delete next.limits;
      await setEntry(live, 'provider', name, next, actorOf(http), { limits });
      return `Limits of ${name} saved.`;
    }),

    model: act(async (http, form) => {
      const name = textField(form, 'name') ?? String(http.params.name ?? '');
      checkEntryName('model', name);
      const models = form.getAll('target');
      const weights = form.getAll('weight');
      const priorities = form.getAll('priority');
      const before = current(live, 'model', name) ?? {};
      // What the form does not show (a target's tier, its params) is kept, never silently dropped.
      const previous = new Map(((before.targets ?? []) as Array<string | Record<string, unknown>>).map((t) => (typeof t === 'string' ? [t, { model: t }] : [String(t.model), t])));
      const targets = models
        .map((model, i) => ({ model: model.trim(), weight: weights[i]?.trim(), priority: priorities[i]?.trim() }))
        .filter((t) => t.model !== '')
        .map((t) => {
          const { weight: _w, priority: _p, ...kept } = previous.get(t.model) ?? {};
          return compact({ ...kept, model: t.model, weight: numberFrom(t.weight, 'weight'), priority: numberFrom(t.priority, 'priority') });
        });
      if (targets.length === 0) throw invalidRequest('A virtual model needs at least one target.', 'target');
      // The form's empty choice is the routing plugin's default: no strategy of the model's own.
      const { strategy: ownStrategy, ...rest } = before;
      const strategy = form.has('strategy') ? textField(form, 'strategy') : (ownStrategy as string | undefined);
      await setEntry(live, 'model', name, compact({ ...rest, targets, ...(strategy ? { strategy } : {}), ...(form.has('description') ? { description: textField(form, 'description') } : {}) }), actorOf(http));
      return `Virtual model ${name} saved.`;
    }),

    revert: act(async (http) => {
      const kind = http.path.startsWith(`${kit.base}/models/`) ? 'model' : 'provider';
      const name = String(http.params.name);
      await applying(() => live.revert(kind, name, actorOf(http)));
      // Reverted from the Config page: reload that page rather than show this one in its place.
      if (http.get('hx-current-url').includes(`${kit.base}/config`)) http.set('hx-refresh', 'true');
      return `${kind === 'model' ? 'Virtual model' : 'Provider'} ${name} is back to the config file's entry.`;
    }),
  };
}

export type ProviderPages = ReturnType<typeof providerPages>;
export type { PluginHost };
