/** `ctx.abortAt`: a deadline on the whole request, on its own signal, that its owner can lift. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fakeContext } from '../support/context.js';

describe('ctx.abortAt', () => {
  it('aborts the request with the reason once the time since it arrived has passed', async () => {
    const ctx = fakeContext();
    const reason = new Error('too late');
    ctx.abortAt(ctx.elapsed() + 30, () => reason);
    expect(ctx.signal.aborted).toBe(false);
    await sleep(80);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(reason);
  });

  it('counts from the request\'s arrival, not from when it is set: a deadline already past fires at once', async () => {
    const ctx = fakeContext();
    await sleep(40);
    ctx.abortAt(20, () => 'late');
    await sleep(5);
    expect(ctx.signal.reason).toBe('late');
  });

  it('does nothing once lifted', async () => {
    const ctx = fakeContext();
    const lift = ctx.abortAt(ctx.elapsed() + 30, () => 'late');
    lift();
    await sleep(80);
    expect(ctx.signal.aborted).toBe(false);
  });

  it('keeps the first reason when the client already left', async () => {
    const ctx = fakeContext();
    ctx.abort('client left');
    ctx.abortAt(0, () => 'late');
    await sleep(10);
    expect(ctx.signal.reason).toBe('client left');
  });
});
