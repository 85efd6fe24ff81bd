/**
 * How long the default sandbox (3 state servers + 2 workload machines)
 * takes to start: cold creation (keys, trees, juju-db, replSetInitiate,
 * seed, first presence pings) and restart of an existing one, each
 * `--runs` times, both in process (`startSandbox`) and in a child process
 * (`launchSandboxProcess`, what the console uses). Wall time is measured
 * here, around the call; the phases are the sandbox's own `startInfo`.
 *
 *   npx tsx bench/sandbox-start.ts [--runs 3]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../electron/sandbox/sandbox';
import { launchSandboxProcess } from '../electron/sandbox/sandbox-client';
import type { SandboxStartInfo } from '../electron/sandbox/types';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);

type Mode = 'startSandbox' | 'launchSandboxProcess';

async function startOnce(mode: Mode, home: string): Promise<{ wallMs: number; info: SandboxStartInfo; stop: () => Promise<void> }> {
  const t0 = performance.now();
  if (mode === 'startSandbox') {
    const sandbox = await startSandbox({ home });
    return { wallMs: performance.now() - t0, info: sandbox.startInfo, stop: () => sandbox.stop() };
  }
  const sandbox = await launchSandboxProcess({ home });
  return { wallMs: performance.now() - t0, info: sandbox.startInfo, stop: () => sandbox.stop() };
}

function phases(info: SandboxStartInfo): string {
  return Object.entries(info.phases)
    .map(([name, ms]) => `${name} ${ms}`)
    .join(', ');
}

function summary(label: string, ms: readonly number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return `${label.padEnd(34)} ${ms.map((m) => (m / 1000).toFixed(2)).join(' / ')} s  (median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s, mean ${(mean / 1000).toFixed(2)} s)`;
}

async function main(): Promise<void> {
  console.log(`Default sandbox start, ${RUNS} runs each, ${os.availableParallelism()} cores, Node ${process.version}`);
  const results: string[] = [];
  for (const mode of ['startSandbox', 'launchSandboxProcess'] as const) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-start-bench-'));
      try {
        const created = await startOnce(mode, home);
        if (!created.info.created) throw new Error('expected a new sandbox');
        cold.push(created.wallMs);
        console.log(`${mode} run ${run}: cold creation ${(created.wallMs / 1000).toFixed(2)} s [${phases(created.info)}]`);
        await created.stop();
        const restarted = await startOnce(mode, home);
        if (restarted.info.created) throw new Error('expected the existing sandbox to be reopened');
        warm.push(restarted.wallMs);
        console.log(`${mode} run ${run}: restart ${(restarted.wallMs / 1000).toFixed(2)} s [${phases(restarted.info)}]`);
        await restarted.stop();
      } finally {
        await fs.rm(home, { recursive: true, force: true });
      }
    }
    results.push(summary(`${mode}: cold creation`, cold), summary(`${mode}: restart`, warm));
  }
  console.log('');
  for (const line of results) console.log(line);
}

await main();
