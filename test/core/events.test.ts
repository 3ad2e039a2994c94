import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../core/events.js';
import { createLogger } from '../../core/logger.js';
import { fakeContext } from '../support/context.js';

function recordingBus() {
  const lines: string[] = [];
  const bus = createEventBus(createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) }));
  return { bus, lines };
}

describe('event bus', () => {
  it('delivers typed events and unsubscribes', () => {
    const { bus } = recordingBus();
    const ctx = fakeContext();
    const seen: string[] = [];
    const off = bus.on('request:end', (c) => void seen.push(c.id));
    expect(bus.has('request:end')).toBe(true);
    bus.emit('request:end', ctx);
    off();
    bus.emit('request:end', ctx);
    expect(seen).toEqual(['req-test']);
    expect(bus.has('request:end')).toBe(false);
  });

  it('isolates a listener that throws or rejects: others still run, the failure is logged', async () => {
    const { bus, lines } = recordingBus();
    const seen: string[] = [];
    bus.on('request:start', () => {
      throw new Error('sync boom');
    });
    bus.on('request:start', async () => {
      throw new Error('async boom');
    });
    bus.on('request:start', () => void seen.push('third'));
    expect(() => bus.emit('request:start', fakeContext())).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['third']);
    expect(lines.join('\n')).toMatch(/sync boom/);
    expect(lines.join('\n')).toMatch(/async boom/);
    expect(lines.map((l) => JSON.parse(l).message)).toEqual([
      'a listener of "request:start" failed; the request is unaffected',
      'a listener of "request:start" failed; the request is unaffected',
    ]);
  });
});
