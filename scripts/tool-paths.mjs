import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Paths of the project's tools, run as `node <bin>` so the scripts behave the
 * same on Linux, macOS and Windows (no shell, no `.cmd` shims).
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));

function bin(pkg, rel) {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
}

export const TOOLS = {
  tsc: () => bin('typescript', 'bin/tsc'),
  eslint: () => bin('eslint', 'bin/eslint.js'),
  vitest: () => bin('vitest', 'vitest.mjs'),
  electronVite: () => bin('electron-vite', 'bin/electron-vite.js'),
  playwright: () => bin('@playwright/test', 'cli.js'),
};

/** The Electron binary, or null when its download never happened (as on offline machines). */
export function electronBinary() {
  try {
    const p = require('electron');
    return typeof p === 'string' ? p : null;
  } catch {
    return null;
  }
}

export function electronInstallScript() {
  return bin('electron', 'install.js');
}
