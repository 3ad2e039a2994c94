/**
 * `llm-gateway keys create|list|rotate|revoke`: manage gateway keys straight in the configured store,
 * so it works whether or not a gateway is running (a running one sees a new key at once, and a
 * revocation or the end of a rotated key's old secret within its key cache time, 5 s by default).
 */
import { loadConfigFile } from '../core/config/load-config.js';
import { DEFAULT_STORE } from '../core/config/resolve-config.js';
import { silentLogger } from '../core/logger.js';
import { openStore } from '../core/store/store.js';
import { parseNewKey, parseRotation } from '../plugins/auth/key-spec.js';
import { KeyStore, keyStateOf, type KeyView, type NewKey } from '../plugins/auth/keys.js';
import { describeBudget } from './budget-text.js';
import { numberFlag } from './flags.js';
import { refuseMemoryStore } from './memory-store.js';
import { fail, print } from './output.js';

export interface KeysOptions {
  action: string | undefined;
  id: string | undefined;
  config: string | undefined;
  name: string | undefined;
  team: string | undefined;
  models: string | undefined;
  rpm: string | undefined;
  burst: string | undefined;
  tpm: string | undefined;
  dailyUsd: string | undefined;
  monthlyUsd: string | undefined;
  expires: string | undefined;
  grace: string | undefined;
  json: boolean;
}

export async function keysCommand(options: KeysOptions): Promise<number> {
  const loaded = await loadConfigFile(options.config);
  const url = typeof loaded.config.store === 'string' ? loaded.config.store : DEFAULT_STORE;
  const refused = refuseMemoryStore(url, 'keys');
  if (refused !== undefined) return refused;
  // A relative SQLite path is relative to the working directory, as `start` reads it. The counters
  // a running gateway saved are read (the keys' slots count from them) and never written back.
  const store = await openStore(url, silentLogger, { saveCounters: false });
  const keys = new KeyStore(keyStateOf(store), 0);
  try {
    switch (options.action) {
      case 'create': {
        const { key, secret } = await keys.create(parseNewKey(specFrom(options)));
        if (options.json) return print(JSON.stringify({ ...key, secret }, null, 2));
        return print(`created ${key.id} (${key.name})\n\n  ${secret}\n\nThis is the only time the key is shown: store it now.`);
      }
      case 'list': {
        const list = await keys.list();
        if (options.json) return print(JSON.stringify(list, null, 2));
        if (list.length === 0) return print('no keys');
        return print(list.map(describe).join('\n'));
      }
      case 'rotate': {
        if (!options.id) return fail('usage: llm-gateway keys rotate <key id> [--grace SECONDS]');
        // An empty --grace is a mistake, not 0 (Number('') is 0).
        const grace = options.grace === undefined ? undefined : options.grace.trim() === '' ? Number.NaN : Number(options.grace);
        const { graceSeconds } = parseRotation(grace === undefined ? {} : { graceSeconds: grace });
        const rotated = await keys.rotate(options.id, graceSeconds);
        if (!rotated) return fail(`no key ${options.id}`);
        const { key, secret } = rotated;
        if (options.json) return print(JSON.stringify({ ...key, secret }, null, 2));
        const old = key.previous ? `The old secret (${key.previous.preview}) is accepted until ${key.previous.until}.` : 'The old secret is refused from now on (by a running gateway within its key cache time).';
        return print(`rotated ${key.id} (${key.name})\n\n  ${secret}\n\nThis is the only time the new secret is shown: store it now. ${old}`);
      }
      case 'revoke': {
        if (!options.id) return fail('usage: llm-gateway keys revoke <key id>');
        const key = await keys.revoke(options.id);
        if (!key) return fail(`no key ${options.id}`);
        return print(`revoked ${key.id} (${key.name})`);
      }
      default:
        return fail('usage: llm-gateway keys create --name NAME [...] | keys list | keys rotate <key id> [--grace SECONDS] | keys revoke <key id>');
    }
  } finally {
    await store.close();
  }
}

function specFrom(options: KeysOptions): NewKey {
  const burst = numberFlag(options.burst, 'burst');
  const limits = { rpm: numberFlag(options.rpm, 'rpm'), tpm: numberFlag(options.tpm, 'tpm'), ...(burst !== undefined ? { algorithm: 'token-bucket', burst } : {}) };
  const budget = { dailyUsd: numberFlag(options.dailyUsd, 'daily-usd'), monthlyUsd: numberFlag(options.monthlyUsd, 'monthly-usd') };
  const spec: Record<string, unknown> = { name: options.name };
  if (options.team) spec.team = options.team;
  if (options.models) spec.models = options.models.split(',').map((m) => m.trim()).filter(Boolean);
  if (options.expires) spec.expiresAt = options.expires;
  const definedLimits = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
  const definedBudget = Object.fromEntries(Object.entries(budget).filter(([, v]) => v !== undefined));
  if (Object.keys(definedLimits).length > 0) spec.limits = definedLimits;
  if (Object.keys(definedBudget).length > 0) spec.budget = definedBudget;
  return spec as unknown as NewKey;
}

function describe(key: KeyView): string {
  const parts = [key.id.padEnd(16), key.status.padEnd(8), key.preview.padEnd(10), key.name];
  if (key.team) parts.push(`team=${key.team}`);
  if (key.models) parts.push(`models=${key.models.join(',')}`);
  if (key.limits?.rpm) parts.push(`rpm=${key.limits.rpm}${key.limits.algorithm === 'token-bucket' ? ` (bucket of ${key.limits.burst ?? key.limits.rpm})` : ''}`);
  if (key.limits?.tpm) parts.push(`tpm=${key.limits.tpm}`);
  const budget = key.budget ? describeBudget(key.budget) : '';
  if (budget !== '') parts.push(budget);
  return parts.join('  ');
}
