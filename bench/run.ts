/**
 * `npm run bench`: back up a large sandbox (≥ 500 MB of Juju documents by
 * default) with Quorum's real backup path — SSH, its juju-db client through the
 * tunnel, the remote tar, the parallel gzip, SHA-1, GridFS — recording wall
 * time and the peak RSS of this (the Quorum) process; then, in the same run,
 * extract the archive's `juju-backup/` (metadata.json, root.tar, dump/) and
 * time GNU `tar -czf`, and when pigz is installed `tar -I 'pigz -1'` (gzip
 * level 1 like Quorum's archive: the fair peer) and `tar -I pigz`, over
 * exactly that content already on disk, and print the ratios. (GNU tar over machine 0's
 * juju-db files and file tree is printed too, as an extra, labelled line.)
 *
 * Run it through `npm run bench` (scripts/bench.mjs), which bundles this
 * file and runs it with plain `node`: the RSS is then Quorum's code on Node.
 * Peak RSS is sampled every 50 ms and also read from /proc/self/status VmHWM.
 *
 * Env: QUORUM_BENCH_SCALE (MB, default 600), QUORUM_BENCH_MONGO (the sandbox
 * juju-db's MongoDB: 2.4 as Juju 1.25 runs it, the default, or 6.0),
 * QUORUM_BENCH_HOME (reuse a
 * sandbox between runs; default a temporary folder), QUORUM_BENCH_LEVEL
 * (gzip level, default the product's), QUORUM_BENCH_KEEP=1 (keep the temporary folder),
 * QUORUM_BENCH_BACKUP_ONLY=1 (time the backup alone, no tar runs: for profiling).
 * The sandbox runs in its own process, so RSS is Quorum's alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CreateBackupResult } from '../shared/ipc/channels/backups';
import { SecretRegistry } from '../shared/redact';
import { SandboxLayout } from '../electron/sandbox/layout';
import { launchSandboxProcess } from '../electron/sandbox/sandbox-client';
import { createBackupsService } from '../electron/services/backups/backups-service';
import { benchRestore } from './restore-bench';
import { BACKUP_GZIP_LEVEL } from '../electron/services/backups/create-backup';
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

/** Peak resident set size of this process so far (Linux), bytes. */
function vmHwm(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

const MONGO_PROFILES = ['2.4', '6.0'] as const;
type MongoProfile = (typeof MONGO_PROFILES)[number];

/** QUORUM_BENCH_MONGO: the sandbox juju-db's MongoDB profile (default 2.4, what Juju 1.25 runs). */
function benchMongoProfile(value: string | undefined): MongoProfile {
  const v = value === undefined || value === '' ? '2.4' : value;
  if (!(MONGO_PROFILES as readonly string[]).includes(v)) throw new Error(`QUORUM_BENCH_MONGO must be one of ${MONGO_PROFILES.join(', ')}, not ${v}`);
  return v as MongoProfile;
}

async function main(): Promise<void> {
  const scale = Number(process.env.QUORUM_BENCH_SCALE ?? 600);
  const mongo = benchMongoProfile(process.env.QUORUM_BENCH_MONGO);
  // The product's level unless one is asked for.
  const level = process.env.QUORUM_BENCH_LEVEL === undefined ? BACKUP_GZIP_LEVEL : Number(process.env.QUORUM_BENCH_LEVEL);
  const home = process.env.QUORUM_BENCH_HOME ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-bench-')));
  const temporary = process.env.QUORUM_BENCH_HOME === undefined && process.env.QUORUM_BENCH_KEEP !== '1';
  console.log(`Quorum backup benchmark: sandbox scale ${scale} MB, juju-db MongoDB ${mongo}, gzip level ${level}, ${os.availableParallelism()} cores, home ${home}`);

  const t0 = performance.now();
  const entry = process.env.QUORUM_BENCH_SANDBOX_ENTRY;
  const sandbox = await launchSandboxProcess({ home, scale, mongo, ...(entry ? { entry } : {}), startTimeoutMs: 60 * 60 * 1000, onLog: (l) => console.log(`  sandbox: ${l}`) });
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
    ...(process.env.QUORUM_BENCH_LEVEL === undefined ? {} : { gzip: { level } }),
  });

  const stopped = false;
  try {
    // Warm up the connection (SSH, agent.conf, juju-db client) so the timing is the backup itself.
    const warm = await (await manager.open(target).stateServer(target.stateServers[0]!.address)).mongo();
    console.log(`juju-db: MongoDB ${warm.server.version} (${warm.server.protocol} client, ${warm.server.authMechanism})`);
    if (!warm.server.version.startsWith(`${mongo}.`)) console.log(`  note: asked for MongoDB ${mongo}, the sandbox runs ${warm.server.version}`);
    const layout = new SandboxLayout(home);
    // Machine 0's juju-db member files and its file tree: what a backup of machine 0 covers.
    const memberDir = path.join(layout.jujuDbDir, 'machine-0');
    const dataDirs = [path.relative(layout.dir, memberDir), path.relative(layout.dir, layout.machineRoot('0'))];
    const out = path.join(home, 'bench-tar.tar.gz');
    const dbBytes = (await du(memberDir)) + (await du(layout.machineRoot('0')));

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
    const hwm = vmHwm();
    if (process.env.QUORUM_BENCH_BACKUP_ONLY === '1') {
      console.log(`Quorum backup (create, end to end): ${backupS.toFixed(2)} s; archive ${(result.metadata.size / MB).toFixed(1)} MB; VmHWM ${((hwm ?? peak) / 1048576).toFixed(0)} MiB`);
      console.log(`time by phase: ${[...phaseTimes].map(([p, t]) => `${p} ${t.toFixed(1)} s`).join(', ')}`);
      await fs.rm(result.localPath!, { force: true });
      await service.remove('sandbox', result.metadata.id);
      return;
    }

    // GNU tar over the backup's own content, already on disk: extract juju-backup/ and compress it again.
    const extracted = await fs.mkdtemp(path.join(home, 'bench-extract-'));
    let tarS: number;
    let pigzS: number | null;
    let pigz1S: number | null;
    let contentBytes: number;
    let untarS: number;
    try {
      const x0 = performance.now();
      await run('tar', ['-xzf', result.localPath!, '-C', extracted]);
      untarS = (performance.now() - x0) / 1000;
      contentBytes = await du(path.join(extracted, 'juju-backup'));
      tarS = await timeTar(['-czf'], extracted, ['juju-backup'], out);
      // pigz at level 1: the same gzip level as Quorum's archive, so the fair peer.
      pigz1S = hasCommand('pigz') ? await timeTar(['-I', 'pigz -1', '-cf'], extracted, ['juju-backup'], out) : null;
      pigzS = hasCommand('pigz') ? await timeTar(['-I', 'pigz', '-cf'], extracted, ['juju-backup'], out) : null;
    } finally {
      await fs.rm(extracted, { recursive: true, force: true });
    }
    // Extra: GNU tar over machine 0's juju-db member files and file tree (not the backup's content).
    const dbTarS = await timeTar(['-czf'], layout.dir, dataDirs, out);
    // Leave the sandbox as it was, so a reused QUORUM_BENCH_HOME does not grow run after run.
    await service.remove('sandbox', result.metadata.id);

    const row = (name: string, s: number, bytes: number) => `${name.padEnd(34)} ${s.toFixed(2).padStart(7)} s ${(bytes / MB / s).toFixed(1).padStart(8)} MB/s`;
    console.log('');
    console.log(`backup content (extracted juju-backup/: metadata.json, root.tar, dump/): ${(contentBytes / MB).toFixed(1)} MB; archive ${(result.metadata.size / MB).toFixed(1)} MB`);
    console.log(`machine 0's juju-db member files + file tree on disk: ${(dbBytes / MB).toFixed(1)} MB`);
    console.log(row('Quorum backup (create, end to end)', backupS, contentBytes));
    console.log(row('GNU tar -czf (backup content)', tarS, contentBytes));
    if (pigz1S !== null) console.log(row("tar -I 'pigz -1' -cf (content)", pigz1S, contentBytes));
    if (pigzS !== null) console.log(row('tar -I pigz -cf (backup content)', pigzS, contentBytes));
    else console.log('tar -I pigz                        not installed');
    console.log(row('extra: GNU tar -czf (juju-db files)', dbTarS, dbBytes));
    console.log(`node ${process.version}, ${process.execArgv.length ? `execArgv ${process.execArgv.join(' ')}` : 'no loader'}`);
    console.log(`peak RSS of the Quorum process: ${(peak / 1024 / 1024).toFixed(0)} MiB sampled, VmHWM ${hwm === null ? 'n/a' : `${(hwm / 1024 / 1024).toFixed(0)} MiB`} (baseline ${(baseline / 1024 / 1024).toFixed(0)} MiB)`);
    console.log(`at the peak (main thread's V8 view): ${peakBreakdown}`);
    console.log(`time by phase: ${[...phaseTimes].map(([p, t]) => `${p} ${t.toFixed(1)} s`).join(', ')}`);
    console.log(`peak RSS by phase: ${[...phasePeaks].map(([p, b]) => `${p} ${(b / 1024 / 1024).toFixed(0)} MiB`).join(', ')}`);
    console.log(`ratio backup / tar -czf: ${(backupS / tarS).toFixed(2)} (target ≤ 1.00)`);
    if (pigz1S !== null) console.log(`ratio backup / tar -I 'pigz -1': ${(backupS / pigz1S).toFixed(2)} (same gzip level as the archive)`);
    if (pigzS !== null) console.log(`ratio backup / tar -I pigz: ${(backupS / pigzS).toFixed(2)}`);
    const worst = Math.max(peak, hwm ?? 0);
    console.log(`peak RSS target < 300 MiB: ${worst < 300 * 1024 * 1024 ? 'met' : 'NOT met'}`);
    // The restore of the same archive into the sandbox (issue 10): its state servers powered off, a replacement machine 0.
    try {
      const restored = await benchRestore({ home, sandbox, archive: result.localPath!, secrets, logger });
      console.log('');
      console.log(row('Quorum restore (end to end)', restored.seconds, contentBytes));
      console.log(row('GNU tar -xzf (same archive)', untarS, contentBytes));
      console.log(`restore steps: ${restored.steps}`);
      console.log(`ratio restore / backup: ${(restored.seconds / backupS).toFixed(2)} (target ≤ 1.50); restore / tar -xzf: ${(restored.seconds / untarS).toFixed(2)}`);
      console.log(`restore peak RSS of the Quorum process: ${(restored.peakRss / 1048576).toFixed(0)} MiB (target < 300 MiB: ${restored.peakRss < 300 * 1048576 ? 'met' : 'NOT met'}); state servers after: ${restored.result.stateServers.map((m) => m.machineId).join(', ')}`);
    } finally {
      await fs.rm(result.localPath!, { force: true });
    }
    console.log(`load average after the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
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
