/**
 * Maps keyed by what clients send are bounded: per-deployment state keeps configured deployments
 * and an LRU of the others; the memory of refused advisory fields keeps at most its cap.
 */
import { describe, expect, it } from 'vitest';
import { AdvisoryFields } from '../../core/advisory.js';
import { DeploymentMap, UNCONFIGURED_DEPLOYMENTS_CAP, deploymentOf } from '../../core/deployment-map.js';
import { GatewayError } from '../../core/errors.js';

describe('DeploymentMap', () => {
  const configured = new Set(['p/kept-1', 'p/kept-2']);
  const isConfigured = (t: { provider: string; model: string }) => configured.has(`${t.provider}/${t.model}`);

  it('keeps configured deployments however many others clients name, and the most recent others up to the cap', () => {
    const map = new DeploymentMap<{ n: number }>(isConfigured, 100);
    map.getOrCreate({ provider: 'p', model: 'kept-1' }, () => ({ n: -1 }));
    for (let i = 0; i < 20_000; i++) map.getOrCreate({ provider: 'p', model: `m-${i}` }, () => ({ n: i }));
    map.getOrCreate({ provider: 'p', model: 'kept-2' }, () => ({ n: -2 }));
    expect(map.size).toBe(102);
    expect(map.get({ provider: 'p', model: 'kept-1' })).toEqual({ n: -1 });
    expect(map.get({ provider: 'p', model: 'm-19999' })).toEqual({ n: 19999 });
    expect(map.get({ provider: 'p', model: 'm-19899' })).toBeUndefined();
    expect(map.entries().slice(0, 2).map(([d]) => d)).toEqual(['p/kept-1', 'p/kept-2']);
  });

  it('drops the least recently used, not the oldest, and keeps an entry once its deployment becomes configured', () => {
    const map = new DeploymentMap<{ n: number }>(isConfigured, 2);
    const a = map.getOrCreate({ provider: 'p', model: 'a' }, () => ({ n: 1 }));
    map.getOrCreate({ provider: 'p', model: 'b' }, () => ({ n: 2 }));
    map.get({ provider: 'p', model: 'a' });
    map.getOrCreate({ provider: 'p', model: 'c' }, () => ({ n: 3 }));
    expect(map.get({ provider: 'p', model: 'b' })).toBeUndefined();
    configured.add('p/a');
    expect(map.getOrCreate({ provider: 'p', model: 'a' }, () => ({ n: 99 }))).toBe(a);
    for (const model of ['d', 'e', 'f']) map.getOrCreate({ provider: 'p', model }, () => ({ n: 0 }));
    expect(map.get({ provider: 'p', model: 'a' })).toBe(a);
    expect(map.size).toBe(3);
    configured.delete('p/a');
  });

  it('names each deployment right when targets alternate (deploymentOf remembers only the last)', () => {
    const a = { provider: 'p', model: 'a' };
    const b = { provider: 'q', model: 'b/c' };
    expect([a, b, a, a, b].map(deploymentOf)).toEqual(['p/a', 'q/b/c', 'p/a', 'p/a', 'q/b/c']);
  });

  it('has a documented default cap', () => {
    expect(UNCONFIGURED_DEPLOYMENTS_CAP).toBe(1000);
  });
});

describe('AdvisoryFields', () => {
  it('remembers refusals for at most its cap of deployments', () => {
    const advisory = new AdvisoryFields(50);
    const fields = new Set(['max_tokens']);
    const refusal = new GatewayError('invalid_request', 'max_tokens is too large', { param: 'max_tokens' });
    for (let i = 0; i < 5_000; i++) advisory.without(refusal, { model: 'm', messages: [], max_tokens: 10 }, fields, `p/m-${i}`);
    expect(advisory.size).toBe(50);
    expect(advisory.strip({ model: 'm', messages: [], max_tokens: 10 }, fields, 'p/m-4999')).not.toHaveProperty('max_tokens');
    expect(advisory.strip({ model: 'm', messages: [], max_tokens: 10 }, fields, 'p/m-0')).toHaveProperty('max_tokens', 10);
  });
});
