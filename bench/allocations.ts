/**
 * Turns the `.heapprofile` files bench/allocation-sampler.mjs wrote into a summary of where a
 * target allocates per request: bytes by area of the code (each plugin, the kernel, Koa, undici,
 * node internals; as in profile.ts) and by function, garbage included. Each function's figure is
 * what it allocated itself (what V8 inlined into it counts as its own). Garbage is what the
 * collector's time in a CPU profile is spent on, and what a process holding many streams carries
 * between collections, so this says which code to make leaner.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { areaOf } from './profile.js';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * Writes `allocations.txt` beside the `.heapprofile` in each of `dir`'s target folders that has
 * one, given how many requests each target (by folder name) served while it was sampled; returns
 * one line per target: its bytes per request.
 */
export function summarizeAllocations(dir: string, requestsByFolder: ReadonlyMap<string, number>): string[] {
  const lines: string[] = [];
  for (const folder of readdirSync(dir)) {
    const requests = requestsByFolder.get(folder);
    const file = readdirSync(join(dir, folder)).find((f) => f.endsWith('.heapprofile'));
    if (!file || !requests) continue;
    const root = (JSON.parse(readFileSync(join(dir, folder, file), 'utf8')) as { head: SamplingNode }).head;
    const { perRequest, summary } = analyseAllocations(root, requests);
    writeFileSync(join(dir, folder, 'allocations.txt'), summary);
    lines.push(`${folder} ${(perRequest / 1024).toFixed(1)} KB a request`);
  }
  return lines;
}

export function analyseAllocations(root: SamplingNode, requests: number): { perRequest: number; summary: string } {
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  const visit = (node: SamplingNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      const label = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
      byFunction.set(label, (byFunction.get(label) ?? 0) + node.selfSize);
      const area = areaOf(url, functionName);
      byArea.set(area, (byArea.get(area) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  const perRequest = total / requests;
  const bytes = (sum: number) => `${(sum / requests).toFixed(0).padStart(7)} B`;
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  const summary = [
    `allocated ${(total / 1e6).toFixed(0)} MB over ${requests} requests: ${(perRequest / 1024).toFixed(1)} KB a request, garbage included (sampled)`,
    '',
    'bytes a request by area:',
    ...top(byArea, 40).map(([area, sum]) => `  ${bytes(sum)}  ${area}`),
    '',
    'bytes a request by function (allocated there, or in what was inlined into it):',
    ...top(byFunction, 80).map(([name, sum]) => `  ${bytes(sum)}  ${name}`),
  ];
  return { perRequest, summary: `${summary.join('\n')}\n` };
}
