import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// First-party plugins import only the public entry points (`llm-gateway/plugin`, ...); under this
// condition those resolve to the TypeScript sources, so tests run the code as it is, not dist/.
const conditions = ['@llm-gateway/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  // Externalized packages are loaded by Node, and a CommonJS one that `require`s a package must get
  // what Node gives it: not the bundlers' `module` build, which @opentelemetry/api (required by
  // prom-client) publishes in a form Node cannot load.
  ssr: { resolve: { conditions: conditions.filter((condition) => condition !== 'module') } },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests open real sockets and child processes; keep the 2-core machines unhurried.
    pool: 'forks',
    maxWorkers: 2,
  },
});
