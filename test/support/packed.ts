/**
 * The package as users get it: `npm pack` of the gateway and the example plugin packages, installed
 * with `npm install` into a folder outside the repository, the way a new project does.
 *
 * Installing the dependencies (sqlite3 compiles from source) takes minutes, so the folder is kept
 * in the system's temp directory, keyed by the lock file: a later run (another Node major in CI, the
 * next `npm test`) reinstalls only the tarballs, which is seconds.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface PackedInstall {
  /** The project folder: its package.json (as `npm init -y` writes it) and node_modules. */
  readonly dir: string;
  /** Tarball file names, by package name. */
  readonly tarballs: Readonly<Record<string, string>>;
}

/** Example packages (examples/plugin-*) whose tarballs go in beside the gateway's. */
export function examplePackages(): string[] {
  return readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('plugin-') && existsSync(join(ROOT, 'examples', e.name, 'package.json')))
    .map((e) => join(ROOT, 'examples', e.name));
}

export function packAndInstall(): PackedInstall {
  const lock = readFileSync(join(ROOT, 'package-lock.json'));
  const dir = join(tmpdir(), `llm-gateway-packed-${createHash('sha256').update(lock).digest('hex').slice(0, 12)}`);
  const packs = join(dir, 'tarballs');
  rmSync(packs, { recursive: true, force: true });
  mkdirSync(packs, { recursive: true });

  // dist/ is built by `npm test` before the suite runs: packing must not build again.
  const tarballs: Record<string, string> = {};
  for (const folder of [ROOT, ...examplePackages()]) {
    const out = execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], { cwd: folder, encoding: 'utf8' });
    const [packed] = JSON.parse(out) as Array<{ name: string; filename: string }>;
    tarballs[packed!.name] = packed!.filename;
  }

  if (!existsSync(join(dir, 'package.json'))) execFileSync(NPM, ['init', '-y'], { cwd: dir, stdio: 'ignore' });
  execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...Object.values(tarballs).map((file) => join(packs, file))], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 15 * 60_000,
  });
  return { dir, tarballs };
}

/** A fresh project folder inside the install (sharing its node_modules), as `npm init -y` leaves it. */
export function freshProject(install: PackedInstall, name: string): string {
  const dir = join(install.dir, 'projects', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), readFileSync(join(install.dir, 'package.json')));
  execFileSync('ln', ['-s', join(install.dir, 'node_modules'), join(dir, 'node_modules')]);
  return dir;
}
