#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * `npm run bench`: bundles `bench/run.ts` (Quorum's real backup code, as
 * plain JavaScript) with esbuild into node_modules/.cache/quorum-bench/ and
 * runs it with plain `node`, so the peak RSS it reports is Quorum's code on
 * Node — not a TypeScript loader's. The sandbox still runs from sources in
 * its own child process. QUORUM_BENCH_* variables pass through unchanged.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'quorum-bench');
const OUT = path.join(OUT_DIR, 'run.mjs');

mkdirSync(OUT_DIR, { recursive: true });
await build({
  entryPoints: [path.join(ROOT, 'bench', 'run.ts')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});

const child = spawn(process.execPath, ['--enable-source-maps', OUT, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, QUORUM_BENCH_SANDBOX_ENTRY: process.env.QUORUM_BENCH_SANDBOX_ENTRY ?? path.join(ROOT, 'electron', 'sandbox', 'process.ts') },
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
