/** A request's abort (core/request-abort.ts): its AbortSignal made only when asked for, and followed without one. */
import { describe, expect, it, vi } from 'vitest';
import { REQUEST_ABORT, RequestAbort, followAbort, withLazySignal } from '../../core/request-abort.js';
import { countAbortControllers } from '../support/abort-controllers.js';

describe('RequestAbort', () => {
  it('makes no AbortSignal until one is asked for, and makes it aborted with the reason when asked for late', () => {
    const made = countAbortControllers();
    try {
      const abort = new RequestAbort();
      const listener = vi.fn();
      abort.follow(listener);
      abort.abort('client left');
      expect(made.count).toBe(0);
      expect(listener).toHaveBeenCalledWith('client left');
      expect(abort.signal.aborted).toBe(true);
      expect(abort.signal.reason).toBe('client left');
      expect(made.count).toBe(1);
    } finally {
      made.restore();
    }
  });

  it('aborts a signal made before, once, with the first reason', () => {
    const abort = new RequestAbort();
    const signal = abort.signal;
    const onAbort = vi.fn();
    signal.addEventListener('abort', onAbort);
    abort.abort('first');
    abort.abort('second');
    expect(onAbort).toHaveBeenCalledTimes(1);
    expect(signal.reason).toBe('first');
    expect(abort.signal).toBe(signal);
  });

  it('calls each follower once; one that stopped following is not called; one that follows late is called at once', () => {
    const abort = new RequestAbort();
    const kept = vi.fn();
    const dropped = vi.fn();
    abort.follow(kept);
    const stop = abort.follow(dropped);
    stop();
    stop();
    abort.abort('gone');
    abort.abort('again');
    expect(kept).toHaveBeenCalledTimes(1);
    expect(kept).toHaveBeenCalledWith('gone');
    expect(dropped).not.toHaveBeenCalled();
    const late = vi.fn();
    abort.follow(late)();
    expect(late).toHaveBeenCalledWith('gone');
  });

  it('either: aborted by the request or by the try, with whichever reason came first', () => {
    const request = new RequestAbort();
    const tryController = new AbortController();
    const joined = RequestAbort.either(request, tryController.signal);
    const listener = vi.fn();
    joined.follow(listener);
    tryController.abort('deadline');
    request.abort('client left');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith('deadline');

    const other = new RequestAbort();
    const again = RequestAbort.either(other, new AbortController().signal);
    other.abort('client left');
    expect(again.signal.reason).toBe('client left');
    expect(RequestAbort.either(new RequestAbort(), AbortSignal.abort('already')).signal.reason).toBe('already');
  });
});

describe('followAbort', () => {
  it('follows a kernel call input through its request, without reading its signal', () => {
    const made = countAbortControllers();
    try {
      const abort = new RequestAbort();
      const input = withLazySignal({ body: {}, [REQUEST_ABORT]: abort });
      const listener = vi.fn();
      const stop = followAbort(input, listener);
      stop();
      followAbort(input, listener);
      abort.abort('gone');
      expect(listener).toHaveBeenCalledTimes(1);
      expect(made.count).toBe(0);
      expect(input.signal.reason).toBe('gone');
      expect(made.count).toBe(1);
    } finally {
      made.restore();
    }
  });

  it('follows a plain AbortSignal, or an input of one made by hand, and lets go of it', () => {
    const controller = new AbortController();
    const onPlain = vi.fn();
    const onInput = vi.fn();
    const stop = followAbort(controller.signal, onPlain);
    followAbort({ signal: controller.signal }, onInput);
    stop();
    controller.abort('bye');
    expect(onPlain).not.toHaveBeenCalled();
    expect(onInput).toHaveBeenCalledWith('bye');
    const late = vi.fn();
    followAbort(controller.signal, late);
    expect(late).toHaveBeenCalledWith('bye');
  });

  it('a spread copy of a kernel input (an adapter changing its body) is still followed through the request', () => {
    const abort = new RequestAbort();
    const input = withLazySignal({ body: { model: 'a' }, [REQUEST_ABORT]: abort });
    const copy = { ...input, body: { model: 'b' } };
    expect(copy.signal).toBeInstanceOf(AbortSignal);
    const listener = vi.fn();
    followAbort(copy, listener);
    abort.abort('gone');
    expect(listener).toHaveBeenCalledWith('gone');
    expect(copy.signal.aborted).toBe(true);
  });
});
