#!/usr/bin/env node
/**
 * `llm-gateway start | check | init | route | keys | teams`: the command line in front of the kernel.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { fail, print } from './output.js';
import { VERSION } from './version.js';
import { tuneOldGeneration } from './old-generation.js';
import { capYoungGeneration } from './young-generation.js';

const HELP = `llm-gateway ${VERSION}: one OpenAI-compatible endpoint in front of many LLM providers

Usage:
  llm-gateway start [--config FILE] [--port N] [--host H] [--watch] [--workers N|auto]
                                                            start the gateway (default port 8080, or PORT);
                                                            --watch reloads the config file when it changes;
                                                            --workers runs N processes on one port (auto: one per core)
  llm-gateway check [--config FILE] [--host H]              validate the config and print the resolved pipeline
  llm-gateway init  [--force]                               write a starter gateway.config.ts here
  llm-gateway route --model X [--header k:v]... [--metadata k=v]... [--prompt-tokens N] [--key NAME] [--team T] [--config FILE]
                                                            show which rule matches and which targets would be tried
  llm-gateway keys create --name NAME [--team T] [--models a,b] [--rpm N [--burst N]] [--tpm N]
                          [--daily-usd N] [--monthly-usd N] [--expires ISO-DATE] [--json]
                                                            create a gateway key (its secret is printed once)
  llm-gateway keys list [--json]                            list gateway keys (never their secrets)
  llm-gateway keys rotate KEY_ID [--grace SECONDS] [--json] give a key a new secret (printed once), keeping its id,
                                                            settings and spend; the old secret works for SECONDS more (default 0)
  llm-gateway keys revoke KEY_ID                            revoke a gateway key
  llm-gateway teams set TEAM [--daily-usd N] [--monthly-usd N] [--json]
                                                            give a team a budget over all its keys (over the config's)
  llm-gateway teams list [--json]                           list the team budgets: the config's and those given while running
  llm-gateway teams remove TEAM                             take back a team budget given while running
  llm-gateway --version | --help

Without --config, the first of gateway.config.{ts,mts,js,mjs,cjs,json,yaml,yml} in the current
folder is used; with none, the gateway starts with the providers found in the environment.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      force: { type: 'boolean' },
      watch: { type: 'boolean', short: 'w' },
      workers: { type: 'string' },
      model: { type: 'string', short: 'm' },
      header: { type: 'string', multiple: true },
      metadata: { type: 'string', multiple: true },
      'prompt-tokens': { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      team: { type: 'string' },
      models: { type: 'string' },
      rpm: { type: 'string' },
      burst: { type: 'string' },
      tpm: { type: 'string' },
      'daily-usd': { type: 'string' },
      'monthly-usd': { type: 'string' },
      expires: { type: 'string' },
      grace: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) return print(VERSION);
  // `start --help`, `keys --help`: the help, never the command (`start` would start a gateway).
  if (values.help) return print(HELP);
  const [command = 'start', ...rest] = positionals;
  // Each command's module is loaded once it is chosen: `start`'s only after the young-generation
  // cap, which may execute this process again (young-generation.ts), so the gateway loads once.
  if (command === 'keys') {
    const [action, id, ...extra] = rest;
    if (extra.length > 0) return fail(`unexpected arguments: ${extra.join(' ')}\n\n${HELP}`);
    return (await import('./keys.js')).keysCommand({
      action,
      id,
      config: values.config,
      name: values.name,
      team: values.team,
      models: values.models,
      rpm: values.rpm,
      burst: values.burst,
      tpm: values.tpm,
      dailyUsd: values['daily-usd'],
      monthlyUsd: values['monthly-usd'],
      expires: values.expires,
      grace: values.grace,
      json: values.json === true,
    });
  }
  if (command === 'teams') {
    const [action, team, ...extra] = rest;
    if (extra.length > 0) return fail(`unexpected arguments: ${extra.join(' ')}\n\n${HELP}`);
    return (await import('./teams.js')).teamsCommand({ action, team, config: values.config, dailyUsd: values['daily-usd'], monthlyUsd: values['monthly-usd'], json: values.json === true });
  }
  if (rest.length > 0) return fail(`unexpected arguments: ${rest.join(' ')}\n\n${HELP}`);
  switch (command) {
    case 'start': {
      // Workers inherit the primary's command line, not what it set while running.
      if (cluster.isPrimary) capYoungGeneration();
      tuneOldGeneration();
      return (await import('./start.js')).startCommand({ config: values.config, port: values.port, host: values.host, watch: values.watch === true, workers: values.workers });
    }
    case 'check':
      return (await import('./check.js')).checkCommand({ config: values.config, host: values.host });
    case 'init':
      return (await import('./init.js')).initCommand({ force: values.force === true });
    case 'route':
      return (await import('./route.js')).routeCommand({ config: values.config, model: values.model, headers: values.header ?? [], metadata: values.metadata ?? [], promptTokens: values['prompt-tokens'], key: values.key, team: values.team });
    case 'help':
      return print(HELP);
    default:
      return fail(`unknown command "${command}"\n\n${HELP}`);
  }
}


main(process.argv.slice(2)).then(
  (code) => {
    // `start` keeps running; the others end here.
    if (code === -1) return;
    process.exitCode = code;
    // A worker of `start --workers N` that could not start: its channel to the primary would keep
    // it alive, and the primary waits for it to exit (or listen).
    if (cluster.isWorker) process.exit(code);
  },
  (error: Error) => {
    process.stderr.write(`llm-gateway: ${error.message}\n`);
    process.exitCode = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
  },
);
