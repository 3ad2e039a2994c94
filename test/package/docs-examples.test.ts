/**
 * A TypeScript plugin author, outside the repository: `npm install llm-gateway` (here: the packed
 * tarball, and the example prompt guard's, with nothing else but what they depend on), copies a
 * plugin from docs/plugins.md into a project and compiles it with `tsc --strict` (skipLibCheck off,
 * TypeScript's default), then tests a plugin the way the docs' "Testing a plugin" shows, with vitest
 * and the `openai` client. Before its fix, the compile failed inside the package itself: the
 * published .d.ts files import `koa`, which ships no types, and `@types/koa` was only a
 * devDependency (TS7016 in dist/core/plugin.d.ts and eleven more files, TS2665 on the Koa
 * augmentation); the docs' `simple-fallback` read `error.retryable` on a catch variable of type
 * unknown (TS18046); the config example used `defineConfig` without importing it; and the docs'
 * plugin test expected an upstream that had seen no request at all, while an `openai-compatible`
 * provider lists its models at start (`GET /v1/models`), so it failed whenever the listing landed
 * first. Now `@types/koa` is a dependency (it brings `@types/node`, which the declarations also
 * need; pg's types appear in no declaration a public entry point reaches), every public entry point,
 * `llm-gateway/plugins/*` included, compiles under `--strict`, and so does every example marked
 * `<!-- tsc --strict: test/package/docs-examples.test.ts -->` in docs/plugins.md; the one marked
 * `vitest` is run, as written, as a test file in the plugin's project.
 *
 * The packages are installed with `--ignore-scripts`: types and the gateway's memory store need no
 * native build (sqlite3's takes minutes; test/package/packed-install.test.ts does the full install).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../support/cli.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const DOCS = join(ROOT, 'docs', 'plugins.md');
const MARKER = 'test/package/docs-examples.test.ts';
/** A fresh project's strict settings; no `types`, so every installed `@types` package counts, as by default. */
const STRICT = { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true };

interface Example {
  /** Where the block starts in docs/plugins.md (1-based), for the file name and messages. */
  line: number;
  run: boolean;
  code: string;
}

/** The ```ts blocks of docs/plugins.md, each with the marker comment on the line before it, if any. */
function tsBlocks(): Array<Example & { marked: boolean }> {
  const docs = readFileSync(DOCS, 'utf8');
  return [...docs.matchAll(/(?:<!-- ([^\n]*?) -->\n)?```ts\n([\s\S]*?)```/g)].map((m) => ({
    line: docs.slice(0, m.index).split('\n').length + (m[1] ? 1 : 0),
    marked: Boolean(m[1]?.endsWith(MARKER)),
    run: Boolean(m[1]?.includes('vitest')),
    code: m[2]!,
  }));
}

let dir: string;

/** Packs the gateway and the prompt guard and installs the tarballs into a new project (kept, keyed by the manifests). */
function install(): string {
  const key = createHash('sha256').update(readFileSync(join(ROOT, 'package.json'))).update(readFileSync(join(ROOT, 'package-lock.json'))).digest('hex').slice(0, 12);
  const at = join(tmpdir(), `llm-gateway-plugin-author-${key}`);
  const packs = join(at, 'tarballs');
  rmSync(packs, { recursive: true, force: true });
  mkdirSync(packs, { recursive: true });
  // dist/ is built by `npm test` before the suite runs: packing must not build again.
  const tarballs = [ROOT, join(ROOT, 'examples', 'plugin-prompt-guard')].map((folder) => {
    const [packed] = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], { cwd: folder, encoding: 'utf8' })) as Array<{ filename: string }>;
    return join(packs, packed!.filename);
  });
  if (!existsSync(join(at, 'package.json'))) writeFileSync(join(at, 'package.json'), JSON.stringify({ name: 'plugin-author', private: true, type: 'module' }, null, 2));
  execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs], { cwd: at, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10 * 60_000 });
  return at;
}

/** A project folder inside the install; `node_modules` holds the installed packages and any `extra` ones of the repository's. */
function project(name: string, extra: string[] = []): string {
  const folder = join(dir, 'projects', name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, 'node_modules'), { recursive: true });
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  for (const entry of readdirSync(join(dir, 'node_modules'))) symlinkSync(join(dir, 'node_modules', entry), join(folder, 'node_modules', entry));
  for (const name of extra) symlinkSync(join(ROOT, 'node_modules', name), join(folder, 'node_modules', name));
  return folder;
}

/** `tsc -p` on a tsconfig of the strict settings over `files`; its output, empty when it compiled. */
function tsc(folder: string, files: string[]): string {
  writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify({ compilerOptions: STRICT, files }, null, 2));
  const result = spawnSync(process.execPath, [TSC, '-p', folder], { cwd: folder, encoding: 'utf8', timeout: 120_000 });
  return `${result.stdout}${result.stderr}`.trim();
}

beforeAll(() => {
  dir = install();
}, 10 * 60_000);

describe('a TypeScript plugin author, with llm-gateway installed from its tarball', () => {
  it('compiles a module importing every public entry point with tsc --strict', () => {
    const folder = project('entry-points');
    const exports = Object.keys((JSON.parse(readFileSync(join(dir, 'node_modules', 'llm-gateway', 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports);
    const plugins = readdirSync(join(dir, 'node_modules', 'llm-gateway', 'dist', 'plugins')).filter((name) => existsSync(join(dir, 'node_modules', 'llm-gateway', 'dist', 'plugins', name, 'index.d.ts')));
    const specifiers = [
      ...exports.filter((path) => path !== './package.json' && !path.includes('*')).map((path) => `llm-gateway${path.slice(1)}`),
      ...plugins.map((name) => `llm-gateway/plugins/${name}`),
    ];
    expect(specifiers).toEqual(expect.arrayContaining(['llm-gateway', 'llm-gateway/plugin', 'llm-gateway/provider-kit', 'llm-gateway/store', 'llm-gateway/testing', 'llm-gateway/plugins/auth']));
    writeFileSync(join(folder, 'entry-points.ts'), specifiers.map((specifier, i) => `export * as entry${i} from '${specifier}';`).join('\n') + '\n');
    expect(tsc(folder, ['entry-points.ts'])).toBe('');
  }, 120_000);

  it("compiles docs/plugins.md's whole-file examples with tsc --strict", () => {
    const blocks = tsBlocks();
    // A whole plugin or config in the docs is checked: it carries the marker.
    const unmarked = blocks.filter((b) => !b.marked && /^export default define(Plugin|Config)\(|from 'llm-gateway\/testing'/m.test(b.code)).map((b) => `docs/plugins.md:${b.line}`);
    expect(unmarked).toEqual([]);
    const examples = blocks.filter((b) => b.marked && !b.run);
    expect(examples.map((b) => b.code)).toEqual(
      expect.arrayContaining([expect.stringContaining("name: 'simple-fallback'"), expect.stringContaining('defineProviderType('), expect.stringContaining('defineConfig(')]),
    );
    const folder = project('docs-examples');
    const files = examples.map((b) => {
      const file = `plugins.md-line-${b.line}.ts`;
      writeFileSync(join(folder, file), b.code);
      return file;
    });
    expect(tsc(folder, files)).toBe('');
  }, 120_000);

  it("runs docs/plugins.md's plugin test as written, with vitest, against the prompt guard", () => {
    const tests = tsBlocks().filter((b) => b.marked && b.run);
    expect(tests).toHaveLength(1);
    const [test] = tests;
    // The docs' file sits in the plugin package's test/ and imports the plugin as '../index.js'.
    const folder = project('docs-plugin-test', ['openai', 'vitest']);
    writeFileSync(join(folder, 'index.js'), "export { default } from 'llm-gateway-plugin-prompt-guard';\n");
    writeFileSync(join(folder, 'index.d.ts'), "export { default } from 'llm-gateway-plugin-prompt-guard';\n");
    mkdirSync(join(folder, 'test'));
    writeFileSync(join(folder, 'test', 'prompt-guard.test.ts'), test!.code);
    expect(tsc(folder, ['test/prompt-guard.test.ts'])).toBe('');

    const env = cleanEnv({ NO_COLOR: '1' });
    for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS' || key === 'TEST') delete env[key];
    const run = spawnSync(process.execPath, [VITEST, 'run', '--root', folder], { cwd: folder, env, encoding: 'utf8', timeout: 90_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/1 passed/);
  }, 120_000);
});
