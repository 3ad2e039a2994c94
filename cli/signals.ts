/**
 * SIGTERM/SIGINT/SIGHUP for `start` (one process, a worker, or the primary of `--workers`): the first asks
 * for a graceful stop; one that comes again later asks to stop at once, without waiting.
 *
 * A repeat that comes right after the first is the same stop, not a second one: `npm start`
 * forwards the SIGTERM or SIGINT it gets to the script it runs, so when the whole process group is
 * signalled (systemd's KillMode=control-group, Ctrl-C in a terminal) the gateway gets it twice at
 * once, its own and npm's.
 */
import type { Logger } from '../core/logger.js';

/** A repeated signal within this long of the first is taken as the same stop. */
export const REPEAT_GRACE_MS = 1000;

export interface StopSignals {
  /** Whether a stop was asked for. */
  readonly stopping: boolean;
  /** What a signal (or a stop asked for otherwise) calls. */
  readonly stop: (signal: NodeJS.Signals) => void;
}

/** Listens for SIGTERM, SIGINT and SIGHUP: `graceful` on the first, `force` on one again past the grace. */
export function onStopSignals(logger: Pick<Logger, 'info' | 'warn'>, forced: string, graceful: (signal: NodeJS.Signals) => void, force: () => void): StopSignals {
  let first: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = performance.now();
      return graceful(signal);
    }
    if (performance.now() - first < REPEAT_GRACE_MS) {
      return logger.info(`${signal} again at once (npm start forwards the signal it gets): still stopping; send it again later to stop without waiting`);
    }
    logger.warn(`${signal} again: ${forced} without waiting`);
    force();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The terminal or SSH session the gateway was started from closing, or `kill -HUP` from an
  // operator used to reloads: Node's default ends the process at once, its queued usage records
  // and unsaved counters lost. A graceful stop instead (`--watch` reloads on a file's change).
  process.on('SIGHUP', stop);
  // Node's default for SIGUSR2 also ends the process at once; some tools send it to ask for a
  // reload or a heap dump. Said and ignored.
  process.on('SIGUSR2', () => logger.info('SIGUSR2 ignored: SIGTERM or SIGINT stops the gateway; --watch reloads its config when the file changes'));
  stopWhenNpmIsGone(logger, stop);
  return {
    get stopping() {
      return first !== undefined;
    },
    stop,
  };
}

/** How often a gateway run by npm looks whether npm's shell is still its parent. */
const PARENT_CHECK_MS = 500;

/**
 * `npm start` runs the script through `sh -c`. Where /bin/sh is dash (Debian, Ubuntu, Node's
 * Debian-based images), a SIGTERM sent to npm alone (`docker stop` with `CMD ["npm", "start"]`)
 * reaches the shell, which dies of it without passing it on, and npm exits: the gateway would go
 * on serving, orphaned, until it is killed, its streams cut and its last usage records lost. Run
 * by npm, the gateway takes its parent's going as that SIGTERM. (Not `exec` in the script: cmd.exe
 * has none. Not outside npm: a gateway started in the background outlives its shell on purpose.)
 */
function stopWhenNpmIsGone(logger: Pick<Logger, 'info'>, stop: (signal: NodeJS.Signals) => void): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    logger.info('the npm process that ran this gateway is gone (its shell did not pass a signal on): stopping as on SIGTERM');
    stop('SIGTERM');
  }, PARENT_CHECK_MS);
  timer.unref();
}
