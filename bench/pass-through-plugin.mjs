/**
 * A plugin that takes part in every request and does nothing else: a request middleware that awaits
 * `next()` and an upstream interceptor that awaits the try, written as a plugin author writes them.
 * `BENCH_TARGETS="no plugins + 8 pass-through"` runs eight of them (bench/pass-through.ts): what the
 * plugin contract itself costs a request, apart from any plugin's own work. Plain JavaScript: the
 * bench's gateways run the built CLI, which imports it as a config's plugin package.
 */
export default function passThrough({ n }) {
  return {
    name: `bench:pass-through-${n}`,
    async middleware(ctx, next) {
      await next();
    },
    upstream: (next) =>
      async function passOn(call) {
        return await next(call);
      },
  };
}
