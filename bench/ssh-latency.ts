/**
 * Latency of small remote commands through the connection layer against a
 * sandbox state server: `read-file` of a small file, N times in a row over
 * one SSH connection (each run is its own exec channel, as Quorum's services
 * use them). Shows whether Nagle's algorithm delays small writes on either
 * side (~40–55 ms per command when it does).
 *
 *   npx tsx bench/ssh-latency.ts [--runs 50]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SecretRegistry } from '../shared/redact';
import { startSandbox } from '../electron/sandbox/sandbox';
import { ConnectionManager } from '../electron/services/connection/connection-manager';
import { targetForSandbox } from '../electron/services/environments/targets';
import { createMemoryLogger } from '../electron/services/log';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' } } });
const RUNS = Number(values.runs);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-ssh-latency-'));
  const sandbox = await startSandbox({ home });
  const secrets = new SecretRegistry();
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger: createMemoryLogger(secrets) });
  try {
    const target = targetForSandbox(sandbox.describe());
    const session = await manager.open(target).stateServer(target.stateServers[0]!.address);
    const command = { kind: 'read-file', path: '/var/lib/juju/nonce.txt' } as const;
    await session.run(command); // warm-up
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      await session.run(command);
      times.push(performance.now() - s);
    }
    const total = performance.now() - t0;
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`${RUNS} read-file runs through the connection layer: total ${total.toFixed(0)} ms`);
    console.log(
      `per command: mean ${(total / RUNS).toFixed(1)} ms, median ${percentile(sorted, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
    );
  } finally {
    await manager.close();
    await sandbox.stop();
    await fs.rm(home, { recursive: true, force: true });
  }
}

await main();
