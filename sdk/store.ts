/**
 * `llm-gateway/store`: the state store a plugin reaches as `host.store` (typed key-value namespaces
 * and atomic counters, on memory, SQLite or Redis), and what is built on counters: sliding windows
 * and token buckets for limits, and bounded waits for calls that must not hang a request.
 */
export type { Store, StoreKind, TypedKv } from '../core/store/store.js';
export type { AddOptions, BucketTake, Counters, LocalCounters } from '../core/store/counters.js';
export { storeUnavailable, withinMs } from '../core/store/within-ms.js';
export { drawFree } from '../core/store/draw-free.js';
export { inBatches } from '../core/store/in-batches.js';
export { addToWindow, addToWindowNow, clearWindow, readWindow, readWindowNow, takeFromWindow, takeFromWindowNow, waitUnder, windowCount, windowCountNow } from './store/sliding-window.js';
export type { WindowCheck, WindowReading } from './store/sliding-window.js';
