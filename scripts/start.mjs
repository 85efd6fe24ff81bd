#!/usr/bin/env node
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { electronBinary, electronInstallScript, ROOT, TOOLS } from './tool-paths.mjs';

/**
 * `npm start`: build when any source is newer than `out/`, then open the
 * Electron window when its binary and a display are available (trying once
 * a day to fetch a missing binary); otherwise start browser mode, which
 * prints its URL. Flags: `--no-open`, `--port <n>`, `--browser` (skip
 * Electron). Environment: QUORUM_HOME, QUORUM_NO_OPEN=1, QUORUM_PORT.
 */

const SOURCES = ['electron', 'renderer', 'shared', 'electron.vite.config.ts', 'package.json', 'tsconfig.base.json'];
const OUTPUTS = ['out/main/index.js', 'out/main/browser-host.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const DOWNLOAD_TIMEOUT_MS = 30_000;
const DOWNLOAD_RETRY_MS = 24 * 3600_000;

function parseArgs(argv) {
  const forward = [];
  let browser = process.env.QUORUM_BROWSER === '1';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--browser') browser = true;
    else if (arg === '--no-open') forward.push(arg);
    else if (arg === '--port') forward.push(arg, argv[++i] ?? '');
    else if (arg.startsWith('--port=')) forward.push(arg);
    else {
      console.error(`quorum: unknown option ${arg}. Use --no-open, --port <n> or --browser.`);
      process.exit(2);
    }
  }
  return { forward, browser };
}

function newestMtime(entry) {
  const full = path.join(ROOT, entry);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(full)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (/\.(test|int\.test)\.tsx?$/.test(name)) continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

function needsBuild() {
  let oldestOutput = Infinity;
  for (const out of OUTPUTS) {
    const full = path.join(ROOT, out);
    if (!existsSync(full)) return true;
    oldestOutput = Math.min(oldestOutput, statSync(full).mtimeMs);
  }
  return SOURCES.some((s) => newestMtime(s) > oldestOutput);
}

function build() {
  console.log('Building Quorum…');
  const r = spawnSync(process.execPath, [TOOLS.electronVite(), 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('quorum: the build failed (see above). Fix the error and run npm start again.');
    process.exit(r.status ?? 1);
  }
}

function hasDisplay() {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/** Tries to fetch Electron's binary (its postinstall is disabled so `npm install` works offline). */
function tryDownloadElectron() {
  const marker = path.join(ROOT, 'node_modules', '.cache', 'quorum', 'electron-download-failed');
  if (existsSync(marker) && Date.now() - statSync(marker).mtimeMs < DOWNLOAD_RETRY_MS) return null;
  console.log('The Electron binary is missing; trying to download it…');
  const r = spawnSync(process.execPath, [electronInstallScript()], {
    cwd: ROOT,
    stdio: 'ignore',
    timeout: DOWNLOAD_TIMEOUT_MS,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  const binary = electronBinary();
  if (r.status === 0 && binary !== null && existsSync(binary)) return binary;
  mkdirSync(path.dirname(marker), { recursive: true });
  writeFileSync(marker, new Date().toISOString());
  console.log('Could not download Electron (no network?); using browser mode instead.');
  return null;
}

function run(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const { forward, browser } = parseArgs(process.argv.slice(2));
if (needsBuild()) build();

let electron = null;
if (!browser && hasDisplay()) {
  const found = electronBinary();
  electron = found !== null && existsSync(found) ? found : tryDownloadElectron();
}

if (electron !== null) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  run(electron, ['.'], env);
} else {
  if (!browser && !hasDisplay()) console.log('No display found; starting browser mode.');
  run(process.execPath, [path.join(ROOT, 'out', 'main', 'browser-host.js'), ...forward], process.env);
}
