/**
 * A provider whose model listing has never succeeded (down at start, or its listing failed while
 * handed from one catalog to the next in a live change) is listed again soon, not at the periodic
 * refresh 5 minutes later; the retry timer neither outlives stop() nor keeps the process alive.
 *
 * Before its fix: such a provider stayed `error` with no models until the periodic refresh.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../core/config/resolve-config.js';
import { createEventBus } from '../../../core/events.js';
import { silentLogger } from '../../../core/logger.js';
import { ModelCatalog } from '../../../core/providers/catalog.js';
import { defineProviderType, type ProviderModel } from '../../../core/providers/provider.js';
import { ProviderRegistry } from '../../../core/providers/registry.js';

/** Provider `a`, whose listing answers what `list` says at the time. */
async function catalogOf(list: () => Promise<ProviderModel[]>, providers: Record<string, unknown> = { a: { type: 'scripted' } }) {
  const type = defineProviderType({
    type: 'scripted',
    schema: { type: 'object', properties: {} },
    create: (_options: { type: string }, { id }) => ({ id, type: 'scripted', chatCompletions: () => Promise.reject(new Error('unused')), listModels: list }),
  });
  const config = await resolveConfig({ providers: providers as never, catalog: { refreshIntervalMs: 300_000, timeoutMs: 1000 } });
  const registry = ProviderRegistry.create(new Map([['scripted', type as never]]), config.providers, silentLogger);
  const next = (entries: Record<string, unknown>, previous: ModelCatalog) =>
    resolveConfig({ providers: entries as never, catalog: config.catalog }).then((c) => {
      const { registry: nextRegistry } = registry.next(c.providers, silentLogger);
      return new ModelCatalog(nextRegistry, c, createEventBus(silentLogger), silentLogger, previous);
    });
  return { catalog: new ModelCatalog(registry, config, createEventBus(silentLogger), silentLogger), next };
}

const statusOf = (catalog: ModelCatalog) => catalog.status().find((l) => l.provider === 'a');

afterEach(() => void vi.useRealTimers());

it('lists a provider whose first listing failed again within 30 s, and stops retrying once stopped', async () => {
  vi.useFakeTimers();
  let calls = 0;
  let down = true;
  const { catalog } = await catalogOf(() => (++calls, down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve([{ id: 'm' }])));
  catalog.start();
  await vi.advanceTimersByTimeAsync(10);
  expect(statusOf(catalog)).toMatchObject({ status: 'error', models: [] });
  await vi.advanceTimersByTimeAsync(30_000);
  expect(calls).toBe(2);
  expect(statusOf(catalog)?.status).toBe('error');
  down = false;
  await vi.advanceTimersByTimeAsync(30_000);
  expect(calls).toBe(3);
  expect(statusOf(catalog)).toMatchObject({ status: 'ok', models: [{ id: 'm' }] });
  // Listed: nothing more until the periodic refresh.
  await vi.advanceTimersByTimeAsync(200_000);
  expect(calls).toBe(3);

  down = true;
  const { catalog: other } = await catalogOf(() => (++calls, Promise.reject(new Error('down'))));
  other.start();
  await vi.advanceTimersByTimeAsync(10);
  other.stop();
  catalog.stop();
  await vi.advanceTimersByTimeAsync(600_000);
  expect(calls).toBe(4);
});

it('does not keep the process alive while it waits to retry', async () => {
  const made: Array<[number | undefined, NodeJS.Timeout]> = [];
  const real = globalThis.setTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    const timer = real(fn, ms);
    made.push([ms, timer]);
    return timer;
  }) as typeof setTimeout);
  const { catalog } = await catalogOf(() => Promise.reject(new Error('down')));
  catalog.start();
  await vi.waitFor(() => expect(statusOf(catalog)?.status).toBe('error'));
  vi.restoreAllMocks();
  const retry = made.filter(([ms]) => ms === 30_000).map(([, timer]) => timer);
  expect(retry).toHaveLength(1);
  expect(retry[0]!.hasRef()).toBe(false);
  catalog.stop();
});

it('a listing handed to the next catalog that then fails is reported, and retried, by that catalog', async () => {
  vi.useFakeTimers();
  let calls = 0;
  let fail!: (error: Error) => void;
  const { catalog, next } = await catalogOf(() => (++calls === 1 ? new Promise<ProviderModel[]>((_, reject) => (fail = reject)) : Promise.resolve([{ id: 'm' }])));
  catalog.start();
  await vi.advanceTimersByTimeAsync(10);
  const successor = await next({ a: { type: 'scripted' }, b: { type: 'scripted' } }, catalog);
  catalog.stop(successor);
  successor.start(false);
  await vi.advanceTimersByTimeAsync(10);
  // a's listing was handed over, not started again; b, new, is listed.
  expect(calls).toBe(2);
  fail(new Error('503'));
  await vi.advanceTimersByTimeAsync(10);
  expect(statusOf(successor)?.status).toBe('error');
  await vi.advanceTimersByTimeAsync(30_000);
  expect(calls).toBe(3);
  expect(statusOf(successor)).toMatchObject({ status: 'ok', models: [{ id: 'm' }] });
  successor.stop();
});
