/**
 * The layout's rules, checked on every import of every source file:
 * - core/ is the kernel: it imports nothing from plugins/, sdk/, cli/ or the package root;
 * - a first-party plugin is written as a third party would write it: it imports its own files, and
 *   everything else through the package's public entry points (`llm-gateway`, `llm-gateway/<subpath>`);
 * - the example plugin packages are written as a third party would write them: their code imports
 *   llm-gateway only through the SDK entry points (`llm-gateway/plugin`, `/provider-kit`, ...), their
 *   tests only their own package's files and public entry points (`llm-gateway/testing`);
 * - every `llm-gateway/...` specifier used anywhere is one package.json exports;
 * - no kernel file grows past 250 lines.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };

function sources(dir: string, extensions = /\.(ts|js|mjs)$/): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path, extensions));
    else if (extensions.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiers(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!);
  return found;
}

/** The repository path a relative specifier points at. */
const target = (file: string, specifier: string) => relative(ROOT, resolve(ROOT, dirname(file), specifier));

const subpathExported = (specifier: string): boolean => {
  if (specifier === pkg.name) return '.' in pkg.exports;
  const subpath = `.${specifier.slice(pkg.name.length)}`;
  return Object.keys(pkg.exports).some((key) => key === subpath || (key.endsWith('/*') && subpath.startsWith(key.slice(0, -1)) && subpath.length > key.length - 1));
};

describe('the kernel', () => {
  it.each(sources('core'))('%s imports nothing outside core/', (file) => {
    const outside = specifiers(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => target(file, s))
      .filter((t) => !t.startsWith('core/'));
    expect(outside).toEqual([]);
    expect(specifiers(file).filter((s) => s.startsWith(pkg.name))).toEqual([]);
  });

  it.each(sources('core'))('%s stays under 250 lines', (file) => {
    expect(readFileSync(join(ROOT, file), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
  });
});

describe('first-party plugins', () => {
  const files = sources('plugins');

  it('exist (the scan sees them)', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(files)('%s imports only its own files and public entry points', (file) => {
    const plugin = file.split('/').slice(0, 2).join('/');
    const ownFolder = file.split('/').length > 2 ? `${plugin}/` : 'plugins/';
    const wrong = specifiers(file).filter((s) => {
      if (s.startsWith('.')) return !target(file, s).startsWith(ownFolder) || target(file, s).split('/').length < 2;
      if (s === pkg.name || s.startsWith(`${pkg.name}/`)) return !subpathExported(s) || s === pkg.name;
      return false;
    });
    expect(wrong).toEqual([]);
  });
});

describe('example plugin packages', () => {
  const files = sources('examples').filter((f) => f.split('/').length > 2);
  const code = files.filter((f) => !f.includes('/test/'));
  const tests = files.filter((f) => f.includes('/test/'));
  const packageOf = (file: string) => file.split('/').slice(0, 2).join('/');

  it('exist (the scan sees them, code and tests)', () => {
    expect(code.length).toBeGreaterThan(10);
    expect(tests.length).toBeGreaterThan(2);
  });

  it.each(code)('%s imports llm-gateway only through the SDK entry points (not the root, not the testing kit)', (file) => {
    const wrong = specifiers(file).filter((s) =>
      s === pkg.name || s.startsWith(`${pkg.name}/`) ? s === pkg.name || s === `${pkg.name}/testing` || !subpathExported(s) : s.startsWith('..'),
    );
    expect(wrong).toEqual([]);
  });

  it.each(tests)('%s imports only its own package and public entry points', (file) => {
    const wrong = specifiers(file).filter((s) =>
      s.startsWith('.') ? !target(file, s).startsWith(`${packageOf(file)}/`) : (s === pkg.name || s.startsWith(`${pkg.name}/`)) && !subpathExported(s),
    );
    expect(wrong).toEqual([]);
  });
});

describe('every llm-gateway specifier in the repository', () => {
  const files = ['core', 'sdk', 'plugins', 'cli', 'test', 'examples', 'bench'].flatMap((dir) => sources(dir));
  const used = new Set(files.flatMap((file) => specifiers(file).filter((s) => s === pkg.name || s.startsWith(`${pkg.name}/`))));

  it.each([...used].map((s) => [s]))('%s is exported by package.json', (specifier) => {
    expect(subpathExported(specifier)).toBe(true);
  });
});
