/**
 * Type stripping for TypeScript config files: `.ts` and `.mts` outside node_modules are turned into
 * ES modules by sucrase (types removed, nothing else changed), on every Node the same way. The
 * file is an ES module whatever its package.json says: `npm init -y` writes `"type": "commonjs"`,
 * and a config written with `import`/`export` must still load there.
 */
import { createRequire } from 'node:module';

type Sucrase = typeof import('sucrase');
/** Loaded when the first TypeScript file is: a gateway started from a JSON config never pays for it. */
let sucrase: Sucrase | undefined;
const require = createRequire(import.meta.url);

const TYPESCRIPT = /\.m?ts$/;

export function isTypeScriptSource(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  return url.startsWith('file:') && TYPESCRIPT.test(path) && !path.includes('/node_modules/');
}

export function stripTypes(url: string, source: string | ArrayBuffer | Uint8Array | null | undefined): string {
  const code = typeof source === 'string' ? source : Buffer.from((source ?? new Uint8Array()) as Uint8Array).toString('utf8');
  sucrase ??= require('sucrase') as Sucrase;
  return sucrase.transform(code, { transforms: ['typescript'], disableESTransforms: true, filePath: url.split('?')[0] ?? url }).code;
}
