/**
 * `npm run bench`: back up a large sandbox (≥ 500 MB of Juju documents by
 * default) with Quorum's real backup path — SSH, the driver through the
 * tunnel, the remote tar, the parallel gzip, SHA-1, GridFS — recording wall
 * time and the peak RSS of this (the Quorum) process; then, in the same run,
 * time GNU `tar -czf` (and `tar -I pigz` when installed) over the same data
 * already on disk, and print the ratios.
 *
 * Env: QUORUM_BENCH_SCALE (MB, default 600), QUORUM_BENCH_HOME (reuse a
 * sandbox between runs; default a temporary folder), QUORUM_BENCH_LEVEL
 * (gzip level, default 1), QUORUM_BENCH_KEEP=1 (keep the temporary folder).
 * The sandbox runs in its own process, so RSS is Quorum's alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CreateBackupResult } from '../shared/ipc/channels/backups';
import { SecretRegistry } from '../shared/redact';
import { SandboxLayout } from '../electron/sandbox/layout';
import { launchSandboxProcess } from '../electron/sandbox/sandbox-client';
import { createBackupsService } from '../electron/services/backups/backups-service';
import { ConnectionManager } from '../electron/services/connection/connection-manager';
import { targetForSandbox } from '../electron/services/environments/targets';
import { createMemoryLogger } from '../electron/services/log';
import { createOperationManager } from '../electron/services/operations/operation-manager';

const MB = 1e6;

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await du(p);
    else if (e.isFile()) total += (await fs.stat(p).catch(() => ({ size: 0 }))).size; // files come and go while the sandbox runs
  }
  return total;
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Runs `tar` over `paths` (relative to `cwd`) into /dev/null-like output file, returning seconds. */
async function timeTar(args: string[], cwd: string, paths: string[], out: string): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('tar', [...args, out, '-C', cwd, ...paths], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    // 1 = "file changed as we read it": the sandbox runs while tar reads, as Quorum's backup does.
    child.on('close', (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`tar exited with ${code}`))));
  });
  const s = (performance.now() - t0) / 1000;
  await fs.rm(out, { force: true });
  return s;
}

async function main(): Promise<void> {
  const scale = Number(process.env.QUORUM_BENCH_SCALE ?? 600);
  const level = Number(process.env.QUORUM_BENCH_LEVEL ?? 1);
  const home = process.env.QUORUM_BENCH_HOME ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-bench-')));
  const temporary = process.env.QUORUM_BENCH_HOME === undefined && process.env.QUORUM_BENCH_KEEP !== '1';
  console.log(`Quorum backup benchmark: sandbox scale ${scale} MB, gzip level ${level}, ${os.availableParallelism()} cores, home ${home}`);

  const t0 = performance.now();
  const sandbox = await launchSandboxProcess({ home, scale, startTimeoutMs: 60 * 60 * 1000, onLog: (l) => console.log(`  sandbox: ${l}`) });
  console.log(`sandbox ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (created: ${sandbox.startInfo.created})`);
  const secrets = new SecretRegistry();
  const logger = createMemoryLogger(secrets);
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger });
  // Peak RSS per backup phase, from the operation's own progress events.
  let phase = 'starting';
  let phaseStart = performance.now();
  const phaseTimes = new Map<string, number>();
  const phasePeaks = new Map<string, number>();
  const operations = createOperationManager({
    events: {
      emit: (_e: string, snapshot: unknown) => {
        const next = (snapshot as { progress?: { phase?: string } }).progress?.phase ?? phase;
        if (next !== phase) {
          const now = performance.now();
          phaseTimes.set(phase, (phaseTimes.get(phase) ?? 0) + (now - phaseStart) / 1000);
          phaseStart = now;
          phase = next;
        }
      },
    },
    secrets,
    log: logger,
    progressIntervalMs: 100,
  });
  const target = targetForSandbox(await sandbox.describe());
  const service = createBackupsService({
    home,
    operations,
    connection: async () => manager.open(target),
    emitChanged: () => undefined,
    log: logger,
    gzip: { level },
  });

  const stopped = false;
  try {
    // Warm up the connection (SSH, agent.conf, driver) so the timing is the backup itself.
    await (await manager.open(target).stateServer(target.stateServers[0]!.address)).mongo();
    const layout = new SandboxLayout(home);
    // Machine 0's juju-db member files and its file tree: what a backup of machine 0 covers.
    const memberDir = path.join(layout.jujuDbDir, 'machine-0');
    const dataDirs = [path.relative(layout.dir, memberDir), path.relative(layout.dir, layout.machineRoot('0'))];
    // GNU tar over the same data already on disk, before the backup adds anything to it.
    const out = path.join(home, 'bench-tar.tar.gz');
    const dataBytes = (await du(memberDir)) + (await du(layout.machineRoot('0')));
    const tarS = await timeTar(['-czf'], layout.dir, dataDirs, out);
    const pigzS = hasCommand('pigz') ? await timeTar(['-I', 'pigz', '-cf'], layout.dir, dataDirs, out) : null;


    // The backup, sampling this process's RSS.
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let peakBreakdown = '';
    const sampler = setInterval(() => {
      const mu = process.memoryUsage();
      const rss = mu.rss;
      if (rss > peak) peakBreakdown = `heap ${(mu.heapUsed / 1048576).toFixed(0)}/${(mu.heapTotal / 1048576).toFixed(0)} MiB, external ${(mu.external / 1048576).toFixed(0)} MiB, arrayBuffers ${(mu.arrayBuffers / 1048576).toFixed(0)} MiB`;
      peak = Math.max(peak, rss);
      phasePeaks.set(phase, Math.max(phasePeaks.get(phase) ?? 0, rss));
    }, 50);
    const b0 = performance.now();
    phaseStart = b0;
    phaseTimes.clear();
    const { operationId } = await service.create('sandbox', { notes: 'bench', keepLocal: true, folder: path.join(home, 'bench-backups') });
    const done = await operations.whenFinished(operationId);
    const backupS = (performance.now() - b0) / 1000;
    clearInterval(sampler);
    phaseTimes.set(phase, (phaseTimes.get(phase) ?? 0) + (performance.now() - phaseStart) / 1000);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (done.state !== 'succeeded') throw new Error(`backup ${done.state}: ${done.error?.message}`);
    const result = done.result as CreateBackupResult;
    await fs.rm(result.localPath!, { force: true });
    // Leave the sandbox as it was, so a reused QUORUM_BENCH_HOME does not grow run after run.
    await service.remove('sandbox', result.metadata.id);

    const row = (name: string, s: number, bytes: number) => `${name.padEnd(34)} ${s.toFixed(2).padStart(7)} s ${(bytes / MB / s).toFixed(1).padStart(8)} MB/s`;
    console.log('');
    console.log(`data on disk (machine 0's juju-db member + file tree): ${(dataBytes / MB).toFixed(1)} MB; archive ${(result.metadata.size / MB).toFixed(1)} MB`);
    console.log(row('Quorum backup (create, end to end)', backupS, dataBytes));
    console.log(row('GNU tar -czf', tarS, dataBytes));
    if (pigzS !== null) console.log(row('tar -I pigz', pigzS, dataBytes));
    else console.log('tar -I pigz                        not installed');
    console.log(`peak RSS of the Quorum process: ${(peak / 1024 / 1024).toFixed(0)} MiB (baseline ${(baseline / 1024 / 1024).toFixed(0)} MiB)`);
    console.log(`at the peak (main thread's V8 view): ${peakBreakdown}`);
    console.log(`time by phase: ${[...phaseTimes].map(([p, t]) => `${p} ${t.toFixed(1)} s`).join(', ')}`);
    console.log(`peak RSS by phase: ${[...phasePeaks].map(([p, b]) => `${p} ${(b / 1024 / 1024).toFixed(0)} MiB`).join(', ')}`);
    console.log(`ratio backup / tar -czf: ${(backupS / tarS).toFixed(2)} (target ≤ 1.00)`);
    if (pigzS !== null) console.log(`ratio backup / tar -I pigz: ${(backupS / pigzS).toFixed(2)}`);
    console.log(`peak RSS target < 300 MiB: ${peak < 300 * 1024 * 1024 ? 'met' : 'NOT met'}`);
  } finally {
    if (!stopped) {
      await operations.close();
      await manager.close();
      await sandbox.stop();
    }
    if (temporary && existsSync(home)) await fs.rm(home, { recursive: true, force: true });
  }
}

await main();
