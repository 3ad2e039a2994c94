/**
 * Module hooks for `module.register()`, on a Node without `module.registerHooks` (Node 20): they
 * run in Node's hooks thread and strip types from TypeScript sources (see strip-types.ts).
 */
import { isTypeScriptSource, stripTypes } from './strip-types.js';

type LoadContext = { format?: string | null; [key: string]: unknown };
type LoadResult = { format?: string | null; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };

export async function load(url: string, context: LoadContext, nextLoad: (url: string, context?: LoadContext) => Promise<LoadResult>): Promise<LoadResult> {
  if (!isTypeScriptSource(url)) return nextLoad(url, context);
  const { source } = await nextLoad(url, { ...context, format: 'module' });
  return { format: 'module', source: stripTypes(url, source), shortCircuit: true };
}
