/**
 * Loads a TypeScript config file (and the TypeScript files it imports) as ES modules, with the
 * types stripped by the gateway itself (strip-types.ts): nothing is written next to the config,
 * nothing beyond the package's own dependencies is needed, and the same happens on every Node.
 * The hooks are registered once, in-thread with `module.registerHooks` where Node has it (22.15+,
 * 24), else in Node's hooks thread with `module.register` (Node 20).
 */
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isTypeScriptSource, stripTypes } from './strip-types.js';

type SyncLoadResult = { format?: string | null; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };
type RegisterHooks = (hooks: { load(url: string, context: { format?: string | null }, nextLoad: (url: string, context?: object) => SyncLoadResult): SyncLoadResult }) => unknown;

let registered = false;

export async function importTypeScript(filepath: string): Promise<unknown> {
  registerOnce();
  return importFresh(filepath);
}

/**
 * Imports an ES module file as it is on disk now: each load is a new module instance (a query on
 * the URL), so a config reloaded after an edit is not answered from the module cache. What the
 * config imports from packages stays cached.
 */
export async function importFresh(filepath: string): Promise<unknown> {
  const module = (await import(`${pathToFileURL(filepath).href}?t=${Date.now()}-${++loads}`)) as { default?: unknown };
  return module.default;
}
let loads = 0;

function registerOnce(): void {
  if (registered) return;
  registered = true;
  const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;
  if (registerHooks) {
    registerHooks({
      load(url, context, nextLoad) {
        if (!isTypeScriptSource(url)) return nextLoad(url, context);
        const { source } = nextLoad(url, { ...context, format: 'module' });
        return { format: 'module', source: stripTypes(url, source), shortCircuit: true };
      },
    });
    return;
  }
  // Run from TypeScript sources (tests, `npm run dev`), the runner strips types itself.
  const hooks = new URL('./typescript-hooks.js', import.meta.url);
  if (existsSync(fileURLToPath(hooks))) nodeModule.register(hooks);
}
