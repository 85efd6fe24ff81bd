#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, TOOLS } from './tool-paths.mjs';

/**
 * `npm test`: typecheck, lint, Vitest (unit and integration projects),
 * build, Playwright. Test counts come from the JSON reporters; a failing
 * typecheck, lint or build counts as one failure each. The last line is
 * exactly `N passed, N failed` (CI reads it); the exit code is non-zero
 * when anything failed.
 */

const REPORTS = path.join(ROOT, 'test-results', 'reports');
rmSync(REPORTS, { recursive: true, force: true });
mkdirSync(REPORTS, { recursive: true });

let passed = 0;
let failed = 0;
const summary = [];

function step(name, args, env = {}) {
  console.log(`\n▶ ${name}`);
  const began = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  const ok = r.status === 0;
  summary.push(`${ok ? '✓' : '✗'} ${name} (${seconds}s)`);
  return ok;
}

function gate(name, args) {
  const ok = step(name, args);
  if (!ok) failed += 1;
  return ok;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

gate('typecheck', [TOOLS.tsc(), '-b', '--noEmit']);
gate('lint', [TOOLS.eslint(), '.']);

const vitestJson = path.join(REPORTS, 'vitest.json');
const vitestOk = step('vitest', [TOOLS.vitest(), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const vitest = readJson(vitestJson);
if (vitest === null) {
  failed += 1;
  summary.push('✗ vitest produced no report');
} else {
  passed += vitest.numPassedTests ?? 0;
  failed += vitest.numFailedTests ?? 0;
  // A suite that failed to load has no failed tests but fails the run.
  const brokenSuites = (vitest.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
  failed += brokenSuites;
  if (!vitestOk && (vitest.numFailedTests ?? 0) === 0 && brokenSuites === 0) failed += 1;
}

const built = gate('build', [TOOLS.electronVite(), 'build']);

const playwrightJson = path.join(REPORTS, 'playwright.json');
if (built) {
  const playwrightOk = step('playwright', [TOOLS.playwright(), 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_FILE: playwrightJson });
  const playwright = existsSync(playwrightJson) ? readJson(playwrightJson) : null;
  if (playwright === null) {
    failed += 1;
    summary.push('✗ playwright produced no report');
  } else {
    const stats = playwright.stats ?? {};
    passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
    failed += stats.unexpected ?? 0;
    if (!playwrightOk && (stats.unexpected ?? 0) === 0) failed += 1;
  }
} else {
  summary.push('✗ playwright skipped: the build failed');
  failed += 1;
}

console.log('\n' + summary.join('\n'));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
