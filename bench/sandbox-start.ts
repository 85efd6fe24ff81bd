/**
 * How long the default sandbox (3 state servers + 2 workload machines)
 * takes to start: cold creation (keys, trees, juju-db, replSetInitiate,
 * seed, first presence pings) and restart of an existing one, each
 * `--runs` times, both in process (`startSandbox`) and in a child process
 * (`launchSandboxProcess`, what the console uses). Wall time is measured
 * here, around the call; the phases are the sandbox's own `startInfo`.
 * `--mongo` picks the juju-db profile (2.4, the default: bootstrap and seed
 * through Quorum's legacy client; 6.0: through the official driver; `both`
 * runs each in turn).
 *
 *   npx tsx bench/sandbox-start.ts [--runs 3] [--mongo 2.4|6.0|both]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../electron/sandbox/sandbox';
import { launchSandboxProcess } from '../electron/sandbox/sandbox-client';
import type { JujuDbProfile, SandboxStartInfo } from '../electron/sandbox/types';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, mongo: { type: 'string', default: '2.4' } } });
const RUNS = Number(values.runs);
const PROFILES: readonly JujuDbProfile[] = values.mongo === 'both' ? ['2.4', '6.0'] : values.mongo === '2.4' || values.mongo === '6.0' ? [values.mongo] : [];
if (PROFILES.length === 0) throw new Error(`--mongo must be 2.4, 6.0 or both, not ${values.mongo}`);

type Mode = 'startSandbox' | 'launchSandboxProcess';

async function startOnce(mode: Mode, home: string, mongo: JujuDbProfile): Promise<{ wallMs: number; info: SandboxStartInfo; stop: () => Promise<void> }> {
  const t0 = performance.now();
  if (mode === 'startSandbox') {
    const sandbox = await startSandbox({ home, mongo });
    return { wallMs: performance.now() - t0, info: sandbox.startInfo, stop: () => sandbox.stop() };
  }
  const sandbox = await launchSandboxProcess({ home, mongo });
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
  return `${label.padEnd(50)} ${ms.map((m) => (m / 1000).toFixed(2)).join(' / ')} s  (median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s, mean ${(mean / 1000).toFixed(2)} s)`;
}

async function main(): Promise<void> {
  console.log(`Default sandbox start, juju-db MongoDB ${PROFILES.join(' and ')}, ${RUNS} runs each, ${os.availableParallelism()} cores, Node ${process.version}`);
  const results: string[] = [];
  for (const mongo of PROFILES) {
    for (const mode of ['startSandbox', 'launchSandboxProcess'] as const) {
      const label = `${mode} (MongoDB ${mongo})`;
      const cold: number[] = [];
      const warm: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-start-bench-'));
        try {
          const created = await startOnce(mode, home, mongo);
          if (!created.info.created) throw new Error('expected a new sandbox');
          cold.push(created.wallMs);
          console.log(`${label} run ${run}: cold creation ${(created.wallMs / 1000).toFixed(2)} s [${phases(created.info)}]`);
          await created.stop();
          const restarted = await startOnce(mode, home, mongo);
          if (restarted.info.created) throw new Error('expected the existing sandbox to be reopened');
          warm.push(restarted.wallMs);
          console.log(`${label} run ${run}: restart ${(restarted.wallMs / 1000).toFixed(2)} s [${phases(restarted.info)}]`);
          await restarted.stop();
        } finally {
          await fs.rm(home, { recursive: true, force: true });
        }
      }
      results.push(summary(`${label}: cold creation`, cold), summary(`${label}: restart`, warm));
    }
  }
  console.log('');
  for (const line of results) console.log(line);
}

await main();
