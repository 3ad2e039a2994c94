/**
 * `llm-gateway start` has V8 grow the old generation by half again over what it found alive, and
 * allocate nothing there at birth (cli/old-generation.ts), unless the operator chose otherwise. The
 * decision is tested as a function, and the real CLI on whatever Node runs the suite (CI runs 20,
 * 22, 24, 26): V8 says which factor it applied after each full collection when asked to
 * (`--trace-gc-verbose`; `--gc-global` makes every collection a full one), and what it learnt of
 * its allocation sites after each collection while it pretenures (`--trace-pretenuring-statistics`);
 * a V8 that did not know a flag would print "unrecognized flag".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLD_GENERATION_GROWTH_PERCENT, oldGenerationFlags } from '../../cli/old-generation.js';
import { CLI, runCli, startCli } from '../support/cli.js';

const GROWTH = `--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`;
const NO_PRETENURING = '--no-allocation-site-pretenuring';

describe('which old generation flags start sets', () => {
  it('both, growth by half again and no pretenuring, when the operator chose nothing', () => {
    expect(OLD_GENERATION_GROWTH_PERCENT).toBe(50);
    expect(oldGenerationFlags(['--enable-source-maps', '--max-semi-space-size=16'])).toEqual([GROWTH, NO_PRETENURING]);
  });

  it('leaves a factor the operator gave node, in either spelling', () => {
    expect(oldGenerationFlags(['--heap-growing-percent=0'])).toEqual([NO_PRETENURING]);
    expect(oldGenerationFlags(['--enable-source-maps', '--heap_growing_percent', '30'])).toEqual([NO_PRETENURING]);
  });

  it('leaves pretenuring to the operator who named it, on or off, in either spelling', () => {
    expect(oldGenerationFlags(['--allocation-site-pretenuring'])).toEqual([GROWTH]);
    expect(oldGenerationFlags(['--no_allocation_site_pretenuring'])).toEqual([GROWTH]);
    expect(oldGenerationFlags(['--heap-growing-percent=0', '--allocation_site_pretenuring'])).toEqual([]);
  });
});

describe('the flags on this Node', () => {
  it('are ones its V8 knows: setting them prints nothing', () => {
    const moduleUrl = pathToFileURL(CLI.replace(/main\.js$/, 'old-generation.js')).href;
    runCli(['--version']); // the built CLI is there (runCli says how to build it if not)
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(moduleUrl)}); m.tuneOldGeneration(); console.log('set');`], { encoding: 'utf8', timeout: 20_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('set\n');
    expect(child.status).toBe(0);
  });

  it('is a flag V8 rejects when misspelt, so the test above can fail', () => {
    const child = spawnSync(process.execPath, ['-e', `require('node:v8').setFlagsFromString('--heap-growing-percentage=50'); console.log('set');`], { encoding: 'utf8', timeout: 20_000 });
    expect(`${child.stdout}${child.stderr}`).toMatch(/unrecognized flag/);
  });
});

describe('llm-gateway start on this Node', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-gateway-old-'));
    writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ providers: {}, store: 'memory' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * The growing factors V8 applied to the old generation's limit, in order. V8 11 and 12 (Node 20,
   * 22) print their own factor first and the one applied at the end of the limit's line; V8 13 and
   * later print the applied factor alone.
   */
  function appliedFactors(output: string): number[] {
    const fromLimits = [...output.matchAll(/\[HeapController\] Limit: .*\(([\d.]+)\)$/gm)].map((m) => Number(m[1]));
    return fromLimits.length > 0 ? fromLimits : [...output.matchAll(/\[HeapController\] factor ([\d.]+)/g)].map((m) => Number(m[1]));
  }

  /** What the gateway and its V8 printed until it listened, started with these node options: the gateway's modules load after start sets the flags. */
  async function outputOfStart(nodeArgs: string[]): Promise<string> {
    const cli = await startCli(['--port', '0'], { cwd: dir, nodeArgs });
    await cli.stop('SIGKILL');
    const output = cli.output();
    expect(output).not.toMatch(/unrecognized flag/);
    return output.slice(0, output.indexOf('listening on'));
  }

  /** The factor of the last full collection before the gateway listened. */
  async function lastFactorOfStart(nodeArgs: string[]): Promise<number | undefined> {
    return appliedFactors(await outputOfStart(['--trace-gc-verbose', '--gc-global', ...nodeArgs])).at(-1);
  }

  it('grows the old generation by half again once the gateway runs', async () => {
    expect(await lastFactorOfStart([])).toBe(1 + OLD_GENERATION_GROWTH_PERCENT / 100);
  });

  it("keeps V8's own factor when the operator gives node --heap-growing-percent=0", async () => {
    const factor = await lastFactorOfStart(['--heap-growing-percent=0']);
    expect(factor).toBeGreaterThan(1);
    expect(factor).not.toBe(1 + OLD_GENERATION_GROWTH_PERCENT / 100);
  });

  /** What V8 reported of its allocation sites before the gateway listened: nothing while it does not pretenure. */
  async function pretenuringReportsOfStart(nodeArgs: string[]): Promise<number> {
    return (await outputOfStart(['--trace-pretenuring-statistics', ...nodeArgs])).match(/pretenuring: /g)?.length ?? 0;
  }

  it('does not pretenure once the gateway runs', async () => {
    expect(await pretenuringReportsOfStart([])).toBe(0);
  });

  it('pretenures when the operator gives node --allocation-site-pretenuring, so the test above can fail', async () => {
    expect(await pretenuringReportsOfStart(['--allocation-site-pretenuring'])).toBeGreaterThan(0);
  });
});
