import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// First-party plugins import only the public entry points (`llm-gateway/plugin`, ...); under this
// condition those resolve to the TypeScript sources, so tests run the code as it is, not dist/.
// Node's own conditions otherwise: `module` is a bundlers' one, and some packages
// (@opentelemetry/api) publish under it an ESM build Node cannot load.
const conditions = ['@llm-gateway/source', ...defaultServerConditions.filter((condition) => condition !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests open real sockets and child processes; keep the 2-core machines unhurried.
    pool: 'forks',
    maxWorkers: 2,
  },
});
