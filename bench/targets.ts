/**
 * The targets a counting bench starts one at a time (`bench:instructions`, `bench:native`): a
 * gateway configuration by name or path, or one of bench/'s yardsticks, each with what its
 * requests need.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Pool } from 'undici';
import { fullWithoutConfig } from './full-without.js';
import { createBenchKey, yardstickLaunch, type Yardstick } from './processes.js';

const ROOT = join(import.meta.dirname, '..');
const CONFIGS: Record<string, string> = { 'no plugins': 'no-plugins.json', default: 'default.json', full: 'full.json' };

/** A gateway configuration's file: "no plugins", "default", "full", "full without <plugin>" or a path ending in .json. */
export function configFile(target: string, work: string): string {
  if (CONFIGS[target]) return join(ROOT, 'bench', 'configs', CONFIGS[target]);
  if (target.endsWith('.json')) return isAbsolute(target) ? target : join(process.cwd(), target);
  const file = fullWithoutConfig(target, join(ROOT, 'bench', 'configs', CONFIGS.full!), work);
  if (!file) throw new Error(`unknown target "${target}"`);
  return file;
}

/** How to start one target: node's arguments, what its output prints once it listens, and the headers its requests need. */
export interface Launch {
  args: string[];
  /** Where to run it: bench/'s own scripts from the checkout (tsx resolves them there); a gateway in a folder of its own. */
  inCheckout: boolean;
  ready: RegExp;
  origin: (match: RegExpExecArray) => string;
  headers: (cwd: string, env: NodeJS.ProcessEnv) => Record<string, string>;
}

export function gatewayLaunch(main: string, config: string): Launch {
  return {
    args: [main, 'start', '--config', config, '--port', '0'],
    inCheckout: false,
    ready: /listening on (http:\/\/\S+)/,
    origin: (match) => match[1]!,
    headers: (cwd, env): Record<string, string> => (readFileSync(config, 'utf8').includes('gateway:auth') ? { authorization: `Bearer ${createBenchKey({ main, config, cwd, env })}` } : {}),
  };
}

/** bench/'s own proxies, started as `npm run bench` starts them (the model name is the gateway's; the bare proxy forwards it as it is, which the mock answers alike). */
export function yardstick(name: Yardstick, upstreams: { origin: string; slowOrigin: string }, work: string): Launch {
  const launch = yardstickLaunch(name, upstreams, work);
  return { ...launch, inCheckout: true, headers: () => ({ ...launch.headers }) };
}

const PROMPT = 'Benchmark the gateway with a short prompt, please.';

/** A closed loop of `clients` clients sending the bench's chat request, for a number of requests rather than a time. */
export function requestLoop(origin: string, headers: Record<string, string>, stream: boolean, clients: number) {
  const pool = new Pool(origin, { connections: clients });
  const body = JSON.stringify({ model: 'mock/mock-small', stream, messages: [{ role: 'user', content: PROMPT }] });
  return {
    /** Resolves once `count` requests were answered; rejects on the first that was not a 200. */
    async send(count: number): Promise<void> {
      let left = count;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (left-- > 0) {
            const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
            await res.body.text();
            if (res.statusCode !== 200) throw new Error(`the target answered ${res.statusCode}`);
          }
        }),
      );
    },
    close: () => pool.close(),
  };
}
