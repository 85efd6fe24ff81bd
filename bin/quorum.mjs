#!/usr/bin/env node
// `quorum`: Quorum's command line (electron/cli/). Runs the built bundle
// (out/main/cli.js, made by `npm run build`) when it is there, else the
// TypeScript sources through tsx (a dev dependency of a checkout).
// QUORUM_CLI_SOURCE=1 forces the sources (tests, and a checkout whose
// bundle may be stale).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
const sources = fileURLToPath(new URL('../electron/cli/main.ts', import.meta.url));

async function load() {
  if (existsSync(bundle) && process.env.QUORUM_CLI_SOURCE !== '1') return import(pathToFileURL(bundle).href);
  if (!existsSync(sources)) {
    process.stderr.write('ERROR the quorum command is not built: run `npm run build` in the Quorum checkout\n');
    process.exit(1);
  }
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('ERROR running quorum from the sources needs tsx: run `npm install` in the Quorum checkout, or `npm run build`\n');
    process.exit(1);
  }
  register();
  return import(pathToFileURL(sources).href);
}

const cli = await load();
const code = await cli.main(process.argv.slice(2));
// Sockets or timers a library left behind must not keep a finished command alive.
process.exit(code);
