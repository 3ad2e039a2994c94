/** Runs the real CLI (`node dist/cli/main.js`) as a child process, the way users run it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Provider variables that would change what the default config enables. */
const PROVIDER_VARIABLES = /^(OPENAI|ANTHROPIC|GEMINI|GOOGLE|AZURE_OPENAI|GROQ|MISTRAL|OPENROUTER|DEEPSEEK|TOGETHER|FIREWORKS|XAI|CEREBRAS|OLLAMA|LMSTUDIO|VLLM|LLAMACPP)_/;

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!PROVIDER_VARIABLES.test(key) && key !== 'PORT') env[key] = value;
  return { ...env, ...extra };
}

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): { status: number | null; stdout: string; stderr: string } {
  assertBuilt();
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningCli {
  url: string;
  process: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `llm-gateway start ...` and resolves once it logs the address it listens on. */
export async function startCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; nodeArgs?: string[]; /** Called with all output so far, each time more arrives (before it listens, too). */ onOutput?: (output: string) => void } = {},
): Promise<RunningCli> {
  assertBuilt();
  // Without a folder of the test's own, the gateway keeps its state (the default store and usage
  // log under `data/`) in a new one, not in the checkout: two gateways on one SQLite store wait for
  // each other (core/store/sqlite-owner.ts), and a test's keys and records are not a developer's.
  // The config is the checkout's own when the test names none, as `npm start` there would find it.
  const ownFolder = options.cwd === undefined ? mkdtempSync(join(tmpdir(), 'llm-gateway-cli-')) : undefined;
  const named = args.includes('--config') || ownFolder === undefined ? args : ['--config', join(ROOT, 'gateway.config.ts'), ...args];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, 'start', ...named], { cwd: options.cwd ?? ownFolder, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const more = (d: Buffer) => {
    output += d.toString();
    options.onOutput?.(output);
  };
  child.stdout.on('data', more);
  child.stderr.on('data', more);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (ownFolder) rmSync(ownFolder, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start within 15 s:\n${output}`)), 15_000);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
