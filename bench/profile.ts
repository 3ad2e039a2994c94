/**
 * Turns the `.cpuprofile` files `node --cpu-prof` wrote into what a person reads: a folded-stacks
 * file per profile (`frame;frame;frame <µs>`, the input of flamegraph.pl and speedscope) and a
 * summary: self time by function, and total time by area of the code (each plugin, the kernel,
 * Koa, undici, node internals, GC), so each plugin's cost shows. The .cpuprofile itself opens
 * as a flame graph in Chrome DevTools (Performance → Load profile) or https://www.speedscope.app.
 * Usage alone: `tsx bench/profile.ts <dir with .cpuprofile files>`.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Writes `<name>.folded` and `<name>.summary.txt` beside every profile under `dir`; returns the summaries' paths. */
export function summarizeProfiles(dir: string): string[] {
  const written: string[] = [];
  for (const file of walk(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const { folded, summary } = analyse(profile);
    writeFileSync(file.replace(/\.cpuprofile$/, '.folded'), folded);
    writeFileSync(file.replace(/\.cpuprofile$/, '.summary.txt'), summary);
    written.push(file.replace(/\.cpuprofile$/, '.summary.txt'));
  }
  return written;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Where a frame's code lives, for the by-area totals. */
export function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)' || name === '(program)' || name === '(root)') return name;
  const plugin = /\/dist\/plugins\/([^/]+)\//.exec(url) ?? /\/plugins\/([^/]+)\//.exec(url);
  if (plugin && !url.includes('node_modules')) return `plugin ${plugin[1]}`;
  const core = /\/dist\/(core|sdk|cli)\/([^/]+)/.exec(url);
  if (core) return `kernel ${core[1]}/${core[2]!.replace(/\.js$/, '')}`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return `dependency ${dep[1]}`;
  if (url.startsWith('node:internal/')) return `node ${url.slice(14).split('/')[0]!.replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return `node ${url.slice(5)}`;
  return url === '' ? 'native/builtin' : 'other';
}

export function analyse(profile: CpuProfile): { folded: string; summary: string } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const folded: string[] = [];
  const selfByFunction = new Map<string, number>();
  const totalByArea = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.unshift(byId.get(at)!);
    folded.push(`${stack.map((n) => label(n).replace(/;/g, ',')).join(';')} ${us}`);
    const self = stack.at(-1)!;
    selfByFunction.set(label(self), (selfByFunction.get(label(self)) ?? 0) + us);
    const selfArea = areaOf(self.callFrame.url, self.callFrame.functionName);
    selfByArea.set(selfArea, (selfByArea.get(selfArea) ?? 0) + us);
    // Inclusive time per area: each area on the stack counts once.
    for (const area of new Set(stack.map((n) => areaOf(n.callFrame.url, n.callFrame.functionName)))) totalByArea.set(area, (totalByArea.get(area) ?? 0) + us);
    total += us;
  }
  const busy = total - (selfByFunction.get('(idle) :0') ?? 0);
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  const lines = [
    `busy time ${(busy / 1000).toFixed(0)} ms (idle excluded); percentages of busy time`,
    '',
    'self time by area (where the CPU was when sampled):',
    ...top(selfByArea, 40).filter(([area]) => area !== '(idle)').map(([area, us]) => `  ${pct(us)}  ${area}`),
    '',
    'inclusive time by area (a frame of the area anywhere on the stack):',
    ...top(totalByArea, 40).filter(([area]) => area !== '(idle)' && area !== '(root)').map(([area, us]) => `  ${pct(us)}  ${area}`),
    '',
    'self time by function:',
    ...top(selfByFunction, 60).filter(([name]) => !name.startsWith('(idle)')).map(([name, us]) => `  ${pct(us)}  ${name}`),
  ];
  return { folded: `${folded.join('\n')}\n`, summary: `${lines.join('\n')}\n` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const path of summarizeProfiles(process.argv[2] ?? 'bench/profiles')) process.stdout.write(`${path}\n`);
}
