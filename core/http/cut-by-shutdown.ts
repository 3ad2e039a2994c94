/**
 * Answers the server cut at its shutdown deadline (streams still running). The exchange takes any
 * answer closed before it finished for the client leaving; these were not, and their requests end
 * as errors (`server_shutdown`), not as `client_aborted` in the access log, metrics and usage log.
 */
import type { ServerResponse } from 'node:http';

const cut = new WeakSet<ServerResponse>();

export function markCutByShutdown(res: ServerResponse): void {
  cut.add(res);
}

export function wasCutByShutdown(res: ServerResponse): boolean {
  return cut.has(res);
}
