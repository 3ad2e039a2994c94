/**
 * Who serves each method and path: the gateway's own routes, then what plugins add as they set up
 * (routes, and front-ends, whose paths are POST routes). The router runs only the first handler on
 * a path, so a second one on the same method and path pattern would never run, or would silently
 * replace the gateway's own (`GET /health`, the probe orchestrators call): it is refused at start,
 * naming both, as a service provided twice is. Paths are compared as the router matches them (any
 * case, a trailing slash or not, whatever a parameter is named). Gates are not routes: a plugin's
 * gate may still answer a path a route serves (the Anthropic plugin's model list).
 */
import { KERNEL_PATHS } from './http/kernel-routes.js';

const GATEWAY = "the gateway's own routes";

export class RouteClaims {
  private readonly owners = new Map<string, string>();

  constructor() {
    for (const path of Object.values(KERNEL_PATHS)) this.owners.set(claimKey('GET', path), GATEWAY);
  }

  /**
   * Claims `method path` for `owner` (`plugin "x"`, `plugin "x" (front-end y)`). Returns why it
   * cannot when it is served already, for the setup to refuse once the plugin's setup is over (so
   * that what the plugin started is let go with the rest).
   */
  claim(method: string, path: string, owner: string): string | undefined {
    const key = claimKey(method, path);
    const taken = this.owners.get(key);
    if (taken !== undefined) {
      const by = taken === owner ? `${owner} itself, once already` : taken;
      return `${method} ${path} is served already, by ${by}: ${owner} cannot serve it too (only one of them would ever answer). Use another path.`;
    }
    this.owners.set(key, owner);
    return undefined;
  }
}

/** A path as @koa/router compares it (not case-sensitive, the trailing slash optional). */
export function routerPath(path: string): string {
  return path.toLowerCase().replace(/\/+$/, '');
}

/** `GET /v1/providers/:` for `get /V1/Providers/:name/` : what the router cannot tell apart. */
function claimKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${routerPath(path).replace(/([:*])[\w$]+/g, '$1')}`;
}
