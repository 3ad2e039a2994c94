import { availableParallelism } from 'node:os';
import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

// First-party plugins import only the public entry points (`llm-gateway/plugin`, ...); under this
// condition those resolve to the TypeScript sources, so tests run the code as it is, not dist/.
const conditions = ['@llm-gateway/source', ...defaultServerConditions];

// Test files that need a process of their own: they mock a module (`vi.mock`), assert what a
// module has loaded so far, or drive a library that keeps what it read of the environment for the
// life of the process (MSAL, test/support/identity-endpoint.ts). Every other file shares its
// worker's modules with the files that ran there before it: importing the gateway afresh for each
// of nearly 300 files was half the suite's time, and four runs of it made CI too slow. A file that
// passes alone but fails beside others belongs in this list.
const testFiles = ['test/**/*.test.ts', 'examples/**/*.test.ts'];
const needsOwnProcess = [
  'test/e2e/azure-entra-id-hang.test.ts',
  'test/e2e/azure-entra-id-package-missing.test.ts',
  'test/e2e/azure-entra-id-refused.test.ts',
  'test/e2e/azure-v1-and-entra-id.test.ts',
  'test/plugins/token-counter/lazy-count.test.ts',
  'test/plugins/token-counter/preload.test.ts',
];

export default defineConfig({
  resolve: { conditions },
  // Externalized packages are loaded by Node, and a CommonJS one that `require`s a package must get
  // what Node gives it: not the bundlers' `module` build, which @opentelemetry/api (required by
  // prom-client) publishes in a form Node cannot load.
  ssr: { resolve: { conditions: conditions.filter((condition) => condition !== 'module') } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Two files a core: most files spend half their time waiting on sockets, child processes and
    // timers. On a 2-core machine two workers kept the cores 55 % busy (271 s on Node 20), four
    // keep them 85 % busy (197 s), which four Node majors in CI need to stay inside 25 minutes.
    // A file that empties a Redis database takes one of its own (test/support/redis-databases.ts).
    maxWorkers: 2 * availableParallelism(),
    projects: [
      { extends: true, test: { name: 'own process', include: needsOwnProcess } },
      { extends: true, test: { name: 'shared', include: testFiles, exclude: [...configDefaults.exclude, ...needsOwnProcess], isolate: false } },
    ],
  },
});
