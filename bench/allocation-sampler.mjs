/**
 * Preloaded (`node --import`) into a profiled target by `npm run bench -- --profile`: samples
 * where the process allocates, counting the objects the garbage collector has already taken (a
 * plain `--heap-prof` sees only what is still alive at exit, so it misses per-request garbage,
 * which is what garbage collection costs). Sampling starts on SIGUSR2, which the bench sends once
 * the target is warmed up, so start-up and warm-up are left out; the profile is written to the
 * folder named in this module's URL (`?dir=`) when the process exits.
 *
 * Plain JavaScript: the gateways run from their built `dist/`, without tsx.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = new URL(import.meta.url).searchParams.get('dir');
if (dir) {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (sampling) return;
    sampling = true;
    session.post('HeapProfiler.enable');
    // One sample every 8 KB on average: enough for a per-request breakdown, cheap enough to run under load.
    session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  });
  process.on('exit', () => {
    if (!sampling) return;
    // The in-process session answers synchronously, so this still runs to the end on exit.
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(join(dir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
}
