/**
 * The SQLite usage log's writer keeps SQLite's temporary data in memory (`PRAGMA temp_store =
 * MEMORY`). Without it SQLite wrote a temporary file (`etilqs_*`) for each multi-row INSERT of a
 * batch: two of every three write system calls a usage row cost (docs/performance-history.md, "The usage
 * log's writes"). A change there shows in no answer and no row, so this watches the directory
 * SQLite puts such files in (SQLITE_TMPDIR) while a child process writes batches: none may appear.
 * The control writes the same batches without the pragma, and must see them, so the test cannot
 * pass only because SQLite stopped making such files or looked elsewhere for a directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'write-batches.ts');
const work = mkdtempSync(join(tmpdir(), 'gw-temp-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the child with its own SQLITE_TMPDIR; returns what it printed and the files SQLite made there. */
async function writeBatches(name: string, mode?: 'without-pragma'): Promise<{ output: string; temporaryFiles: string[] }> {
  const temporaryDir = mkdtempSync(join(work, `${name}-tmp-`));
  const seen = new Set<string>();
  const watcher = watch(temporaryDir, (_event, file) => {
    if (file) seen.add(file);
  });
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@llm-gateway/source', CHILD, join(work, name, 'usage.sqlite'), ...(mode ? [mode] : [])], {
      env: { ...process.env, SQLITE_TMPDIR: temporaryDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    // inotify's last events may still be on their way when the child exits.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { output, temporaryFiles: [...seen] };
  } finally {
    watcher.close();
  }
}

describe('the SQLite usage log writer', () => {
  it('writes its batches without a temporary file', async () => {
    const { output, temporaryFiles } = await writeBatches('with-pragma');
    expect(output).toContain('written 1200');
    expect(temporaryFiles).toEqual([]);
  });

  it('(control) would write temporary files there without its pragma', async () => {
    const { output, temporaryFiles } = await writeBatches('without-pragma', 'without-pragma');
    expect(output).toContain('written 1200');
    expect(temporaryFiles.some((file) => file.startsWith('etilqs_'))).toBe(true);
  });
});
