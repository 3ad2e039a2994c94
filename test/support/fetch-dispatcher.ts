/**
 * An undici Dispatcher that performs requests with `globalThis.fetch`, so that msw (which patches
 * fetch) can answer them. Adapters use undici's `Dispatcher.request`, which msw cannot see; they
 * accept a dispatcher through `ProviderContext.dispatcher`, and unit tests pass this one.
 *
 * It drives the handler `Dispatcher.request` gives it with undici's callbacks (onConnect,
 * onHeaders, onData with backpressure, onComplete, onError), streaming the body chunk by chunk.
 */
import { Dispatcher } from 'undici';

interface RequestHandlerCallbacks {
  onConnect(abort: (reason?: unknown) => void, context?: object): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean | void;
  onData(chunk: Buffer): boolean | void;
  onComplete(trailers: Buffer[]): void;
  onError(error: Error): void;
}

export class FetchDispatcher extends Dispatcher {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const callbacks = handler as unknown as RequestHandlerCallbacks;
    const controller = new AbortController();
    callbacks.onConnect((reason) => controller.abort(reason), {});
    void this.perform(options, callbacks, controller);
    return true;
  }

  private async perform(options: Dispatcher.DispatchOptions, callbacks: RequestHandlerCallbacks, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return callbacks.onError(controller.signal.reason as Error);
    try {
      const url = new URL(options.path, String(options.origin));
      const response = await fetch(url, {
        method: options.method,
        headers: options.headers as Record<string, string>,
        body: (options.body as string | undefined) ?? null,
        signal: controller.signal,
      });
      const rawHeaders: Buffer[] = [];
      response.headers.forEach((value, name) => rawHeaders.push(Buffer.from(name), Buffer.from(value)));
      let wake: (() => void) | undefined;
      callbacks.onHeaders(response.status, rawHeaders, () => wake?.(), response.statusText);
      if (response.body) {
        for await (const chunk of response.body) {
          if (controller.signal.aborted) break;
          if (callbacks.onData(Buffer.from(chunk)) === false) await new Promise<void>((resolve) => (wake = resolve));
        }
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      callbacks.onComplete([]);
    } catch (error) {
      callbacks.onError((controller.signal.aborted ? controller.signal.reason : error) as Error);
    }
  }

  override async close(): Promise<void> {}
  override async destroy(): Promise<void> {}
}
