/**
 * Services between plugins: one value a token, a second `provide` refused, unless the token says
 * how two values join (each plugin that limits what a caller may see adds its own part).
 */
import { describe, expect, it } from 'vitest';
import { defineService, ServiceRegistry } from '../../core/services.js';

describe('ServiceRegistry', () => {
  it('refuses a second value for a token that does not join', () => {
    const services = new ServiceRegistry();
    const token = defineService<number>('test:single');
    services.provide(token, 1);
    expect(() => services.provide(token, 2)).toThrow('service "test:single" is provided twice');
    expect(services.resolve(token)).toBe(1);
  });

  it('joins the values of a token that joins, in the order they were provided', () => {
    const services = new ServiceRegistry();
    const token = defineService<string[]>('test:joined', { join: (first, second) => [...first, ...second] });
    services.provide(token, ['auth']);
    services.provide(token, ['tenant']);
    services.provide(token, ['region']);
    expect(services.resolve(token)).toEqual(['auth', 'tenant', 'region']);
    expect(services.tryResolve(token)).toEqual(['auth', 'tenant', 'region']);
  });
});
