import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { QuorumError } from '../../../shared/errors';
import type { MachineUpdateRow, RestoreStepId } from '../../../shared/ipc/channels/restore';
import type { SecretRegistry } from '../../../shared/redact';
import { parseDfAvailable, parseRestoreProbe, RESTORE_DIRS, parseServiceRunning } from '../../../shared/remote-commands';
import type { BackupInspection } from '../../../shared/restore/inspection';
import { restoreVerdict, type RestoreVerdict } from '../../../shared/restore/verdict';
import { parseAgentConf } from '../connection/agent-conf';
import type { StateServerSession } from '../connection/state-server-session';
import { rewriteAgentConfAddresses } from './agent-conf-rewrite';
import { within } from './probes';
import { machineAgentJob } from './agent-job';
import { installAgentJob, probeAgentJob } from './agent-job-install';
import { extractForRestore } from './extract';
import { fixUpMachines, initiateReplicaSet, machinesToUpdate, openRestoredDb, setRestoreStatus, type AdminLogin, type MachineToUpdate, type RestoredDb, type RestoreStatus } from './restored-db';
import type { RunState } from './run-state';
import { updateAllMachines, type SessionFor } from './update-machines';

/**
 * One restore, step by step, as Juju 1.25's `juju backups restore -b`
 * (reference §2.2 server side, with the legacy plugin's client steps and
 * log lines, §2.1) but driven from Quorum over SSH: the replacement is
 * prepared by `rebootstrap`, the archive is streamed to it, and everything
 * Juju's server-side restore does runs there as remote commands, juju-db
 * being reached through Quorum's JujuDbClient. Cancel is honoured until the
 * point of no return (the folders recreated); any failure sets
 * `juju.restoreInfo` FAILED when juju-db answers, and the replacement's
 * staging folder is removed whatever happens.
 */

export interface RestoreArchive {
  readonly file: string;
  readonly expectedChecksum: string | null;
}

export interface RestoreRunDeps {
  readonly secrets: SecretRegistry;
  readonly state: RunState;
  /** The operator's cancel; ignored after the point of no return. */
  readonly signal: AbortSignal;
  readonly archive: RestoreArchive;
  /** Local staging folder (empty or absent); the caller removes it. */
  readonly stagingDir: string;
  /** The re-bootstrap: a fresh replacement with the backup's machine id; its Juju address and instance id. */
  rebootstrap(log: (line: string) => void, signal: AbortSignal): Promise<{ address: string; instanceId: string | null }>;
  /** SSH to the replacement (its own connection, so agent.conf is read afresh). */
  targetSession(address: string): Promise<StateServerSession>;
  /** SSH to a machine of the environment (updating all machines). */
  machineSession: SessionFor;
  /** Rehearsal only: the throwaway sandbox's own CA, which its juju-db serves with (see openRestoredDb). */
  readonly alternateCaPem?: string | null;
  /** Give up waiting for juju-db after this long (default 60 s). */
  readonly jujuDbTimeoutMs?: number;
}

export interface RestoreOutcome {
  readonly machineId: string;
  readonly address: string;
  readonly instanceId: string | null;
  readonly inspection: BackupInspection;
  readonly removedStateServers: readonly string[];
  readonly rows: readonly MachineUpdateRow[];
  readonly toUpdate: readonly MachineToUpdate[];
  readonly status: RestoreStatus;
}

const REMOTE_STAGING_PARENT = '/var/tmp';
/** Upload progress is published at most this often. */
const BYTES_EVERY_MS = 200;

function throwIfCancelled(signal: AbortSignal, where: string): void {
  if (signal.aborted) throw new QuorumError('cancelled', `The restore was cancelled ${where}; nothing on the replacement was wiped.`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runRestore(deps: RestoreRunDeps): Promise<RestoreOutcome> {
  const { state, signal, secrets } = deps;
  let current: RestoreStepId = 'extract-credentials';
  let target: StateServerSession | null = null;
  let remoteStaging: string | null = null;
  let db: RestoredDb | null = null;
  let login: AdminLogin | null = null;
  let replacement: string | null = null;
  const log = (text: string, level: 'info' | 'warning' | 'error' = 'info') => state.log(current, secrets.redact(text), level);
  const step = async <T>(id: RestoreStepId, fn: () => Promise<T>): Promise<T> => {
    current = id;
    state.begin(id);
    const value = await fn();
    state.succeed(id);
    return value;
  };
  const run = async (what: string, cmd: Parameters<StateServerSession['run']>[0], opts: Parameters<StateServerSession['run']>[1] = {}) => {
    log(`$ ${what}`);
    const pre = !state.run.pointOfNoReturn.passed;
    return (await target!.run(cmd, { ...opts, ...(pre ? { signal } : {}) })).toString('utf8');
  };

  try {
    // 1. extracted credentials from backup file
    const extracted = await step('extract-credentials', async () => {
      const x = await extractForRestore(deps.archive.file, deps.stagingDir, { signal, expectedChecksum: deps.archive.expectedChecksum });
      if (!x.agentConf) throw new QuorumError('archive-invalid', `root.tar has no agent.conf for machine ${x.inspection.metadata?.machine ?? '0'}: agent password not found in configuration`);
      const conf = parseAgentConf(await readFile(x.agentConf, 'utf8'), 'the backup', x.agentConf, secrets);
      if (!conf.credentials.oldpassword && !conf.credentials.apipassword) throw new QuorumError('archive-invalid', 'agent old password not found in configuration');
      login = { tag: conf.info.tag, oldpassword: conf.credentials.oldpassword, apipassword: conf.credentials.apipassword, statepassword: conf.credentials.statepassword, cacert: conf.info.cacert };
      log(`read ${conf.info.tag}'s agent.conf from root.tar (stateport ${conf.info.stateport ?? 37017}, apiport ${conf.info.apiport ?? 17070})`);
      return x;
    });
    const inspection = extracted.inspection;
    const machineId = inspection.metadata?.machine || '0';
    const verdict: RestoreVerdict = restoreVerdict(inspection);
    if (!verdict.allowed) throw new QuorumError('invalid-input', verdict.jujuError ?? verdict.reason);

    // 2. re-bootstrapping environment
    const bootstrapped = await step('rebootstrap', async () => {
      throwIfCancelled(signal, 'before re-bootstrapping');
      return deps.rebootstrap((line) => log(line), signal);
    });
    const fresh = { ...bootstrapped };
    state.target(fresh.address);
    replacement = fresh.address;

    // 3. connecting to newly bootstrapped instance
    await step('connect', async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          target = await deps.targetSession(fresh.address);
          break;
        } catch (error) {
          if (attempt >= 8 || signal.aborted) throw error;
          log(`bootstrapped instance not ready - attempting to redial (${message(error)})`, 'warning');
          await new Promise((r) => setTimeout(r, 500 * attempt));
        }
      }
      const probe = parseRestoreProbe(await run('restore-probe /var/lib/juju', { kind: 'restore-probe', dataDir: '/var/lib/juju' }));
      log(`Juju tools ${probe.tools.map((t) => t.version ?? '?').join(', ') || 'none'}; ${probe.mongorestore ? `${probe.mongorestore.path} (${probe.mongorestore.version})` : 'no mongorestore'}`);
      if (!probe.mongorestore) throw new QuorumError('invalid-input', `${fresh.address} has no mongorestore (/usr/lib/juju/bin/mongorestore or on PATH).`);
      if (fresh.instanceId === null) {
        // A host the operator bootstrapped: its own juju-db (wiped below) knows its instance, as bootstrap recorded it for machine 0.
        const found = await bootstrappedInstanceId(target);
        if (found.instanceId !== null) {
          fresh.instanceId = found.instanceId;
          log(`the bootstrapped instance is ${found.instanceId} (instanceData of machine 0 in its juju-db)`);
        } else {
          log(`the bootstrapped instance's id could not be read (${found.why}): machine ${machineId} keeps the backup's instance id; correct it before Juju's provisioner acts on it`, 'warning');
        }
      }
    });

    // 4. restoring bootstrap machine
    await step('restore-bootstrap', async () => {
      log(`machine ${machineId} → ${fresh.address}${fresh.instanceId ? ` (instance ${fresh.instanceId})` : ''}`);
      const need = inspection.size + inspection.gzip.uncompressedBytes + inspection.rootTar.bytes;
      remoteStaging = `${REMOTE_STAGING_PARENT}/quorum-restore-${state.run.operationId.replace(/^op-/, '').slice(0, 12)}`;
      await run(`mkdir -p -m 0700 ${remoteStaging}`, { kind: 'make-dir', path: remoteStaging, mode: 0o700 });
      const free = parseDfAvailable(await run(`df -P -B1 ${remoteStaging}`, { kind: 'free-space', path: remoteStaging }));
      log(`${free} bytes free in ${REMOTE_STAGING_PARENT}; the archive and its extraction need about ${need}`);
      if (free < need) {
        throw new QuorumError('disk-full', `Not enough space on ${fresh.address}: ${free} bytes free in ${REMOTE_STAGING_PARENT}, the archive and its extraction need about ${need}.`);
      }
    });

    // 5. copying backup file to bootstrap host (streamed: memory stays flat whatever the size)
    const remoteArchive = `${remoteStaging!}/juju-backup.tar.gz`;
    await step('copy-backup', async () => {
      const sha1hex = Buffer.from(inspection.checksum, 'base64').toString('hex');
      let sent = 0;
      let last = 0;
      state.bytes('copy-backup', 0, inspection.size);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          sent += chunk.length;
          const now = Date.now();
          if (now - last >= BYTES_EVERY_MS) {
            last = now;
            state.bytes('copy-backup', sent, inspection.size);
          }
          cb(null, chunk);
        },
      });
      const source = createReadStream(deps.archive.file).pipe(counter);
      try {
        await run(`upload ${inspection.fileName} → ${remoteArchive} (${inspection.size} bytes, SHA-1 checked)`, { kind: 'upload-file', path: remoteArchive, mode: 0o600, size: inspection.size, sha1: sha1hex }, { stdin: source });
      } catch (error) {
        source.destroy();
        if (error instanceof QuorumError && error.code === 'cancelled') throw error;
        // The SSH connection dropping (replacement powered off, network gone) or the remote side refusing the bytes.
        const why = message(error).replace(/\.$/, '');
        throw new QuorumError(
          /No space left on device/i.test(why) ? 'disk-full' : error instanceof QuorumError ? error.code : 'host-unreachable',
          `The upload to ${fresh.address} broke off after ${sent} of ${inspection.size} bytes: ${why}. Nothing on the replacement was wiped; retry from the start.`,
          { cause: error },
        );
      }
      state.bytes('copy-backup', sent, inspection.size);
    });

    // 6. updating bootstrap machine
    const fix = await step('update-bootstrap', async () => {
      const agent = await probeAgentJob(run, machineId, fresh.address, (line) => log(line));
      if (agent.running) await run(`service ${agent.job} stop`, { kind: 'service', service: agent.job, action: 'stop' });
      for (const other of agent.others) await run(`service ${other} stop`, { kind: 'service', service: other, action: 'stop' });
      const dbStatus = await run('service juju-db status', { kind: 'service', service: 'juju-db', action: 'status' }).catch(() => '');
      if (parseServiceRunning(dbStatus)) await run('service juju-db stop', { kind: 'service', service: 'juju-db', action: 'stop' });
      throwIfCancelled(signal, 'before the point of no return');
      state.passPointOfNoReturn();
      log('point of no return: recreating /var/lib/juju, /var/lib/juju/db and /var/log/juju');
      await run('recreate /var/lib/juju /var/lib/juju/db /var/log/juju', {
        kind: 'recreate-dirs',
        dirs: RESTORE_DIRS.map((p) => ({ path: p, mode: p.endsWith('/db') ? 0o700 : 0o755, owner: 'root:root' })),
      });
      await run(`tar -C ${remoteStaging} -xpzf ${remoteArchive}`, { kind: 'extract-tar', archive: remoteArchive, dir: remoteStaging!, gzip: true });
      await run(`tar -C / -xpf ${remoteStaging}/juju-backup/root.tar`, { kind: 'extract-tar', archive: `${remoteStaging}/juju-backup/root.tar`, dir: '/', gzip: false });
      log('placed new files');
      const confPath = `/var/lib/juju/agents/machine-${machineId}/agent.conf`;
      const before = await run(`cat ${confPath}`, { kind: 'read-file', path: confPath });
      const rewritten = rewriteAgentConfAddresses(before, fresh.address);
      await run(`write ${confPath}.old`, { kind: 'write-file', path: `${confPath}.old`, mode: 0o600 }, { stdin: before });
      await run(`write ${confPath}`, { kind: 'write-file', path: confPath, mode: 0o600 }, { stdin: rewritten.text });
      for (const [k, c] of Object.entries(rewritten.changed)) if (c) log(`${k}: ${c.from} → ${c.to}`);
      // Juju 1.25 step 7: the backup machine's agent job, when the host lacks it (a fresh bootstrap only has its own).
      if (agent.missing) await installAgentJob(run, machineId, (line) => log(line));
      const restoreLog = await run(`mongorestore ${verdict.mongorestoreArgs.join(' ')} ${remoteStaging}/juju-backup/dump`, {
        kind: 'mongorestore',
        dbpath: '/var/lib/juju/db',
        dump: `${remoteStaging}/juju-backup/dump`,
        oplogReplay: verdict.path === 'oplog-replay',
      });
      for (const line of restoreLog.trim().split('\n').filter(Boolean).slice(-5)) log(`mongorestore: ${line}`);
      await run('service juju-db start', { kind: 'service', service: 'juju-db', action: 'start' });
      db = await openRestoredDb(target!, login!, secrets, deps.jujuDbTimeoutMs, deps.alternateCaPem ?? null);
      log(`connected to juju-db on ${fresh.address} as ${login!.oldpassword ? 'admin' : login!.tag}`);
      const config = await initiateReplicaSet(db.client, fresh.address, deps.jujuDbTimeoutMs);
      log(`replica set "juju" initiated: member 1 ${fresh.address}:37017 {juju-machine-id: "0"} (${JSON.stringify(config.members[0]?.host)})`);
      await setRestoreStatus(db.client, 'PENDING');
      await setRestoreStatus(db.client, 'RESTORING');
      state.status('RESTORING');
      const fixed = await fixUpMachines(db.client, machineId, fresh.address, fresh.instanceId);
      log(`machine ${machineId}: instanceid ${fresh.instanceId ?? '(kept)'}, address ${fresh.address}${fixed.removedStateServers.length ? `; removed state servers ${fixed.removedStateServers.join(', ')}` : ''}`);
      await run(`rm -rf ${remoteStaging}`, { kind: 'remove-staging', path: remoteStaging! });
      remoteStaging = null;
      return fixed;
    });

    // 7. restored bootstrap machine
    await step('restored-bootstrap', async () => {
      const agentJob = machineAgentJob(machineId);
      await run(`service ${agentJob} start`, { kind: 'service', service: agentJob, action: 'start' });
    });

    // 8. opening state
    const toUpdate = await step('open-state', async () => {
      const machines = await machinesToUpdate(db!.client);
      log(`${machines.length} machine${machines.length === 1 ? '' : 's'} to update: ${machines.map((m) => m.machineId).join(', ') || 'none'}`);
      return machines;
    });

    // 9. updating all machines
    const rows = await step('update-all-machines', async () => {
      const r = await updateAllMachines(toUpdate, fresh.address, deps.machineSession, (row) => state.row(row), (line) => log(line));
      const failed = r.filter((x) => x.state === 'failed').length;
      if (failed > 0) log(`${failed} of ${r.length} machines failed to update; retry them once they are up`, 'warning');
      return r;
    });
    await setRestoreStatus(db!.client, 'RESTORED');
    state.status('RESTORED');
    await setRestoreStatus(db!.client, 'CHECKED');
    state.status('CHECKED');
    log(`restore from "${deps.archive.file}" completed`);
    return { machineId, address: fresh.address, instanceId: fresh.instanceId, inspection, removedStateServers: fix.removedStateServers, rows, toUpdate, status: 'CHECKED' };
  } catch (error) {
    const cancelled = error instanceof QuorumError && error.code === 'cancelled';
    state.fail(current, secrets.redact(message(error)), cancelled);
    for (const s of state.run.steps) if (s.state === 'pending') state.skip(s.id, 'not run');
    const failedStep = state.run.steps.find((s) => s.id === current);
    await markFailed(deps, db, target, login, state, secrets.redact(`${failedStep?.title ?? current}: ${message(error)}`), replacement);
    throw error;
  } finally {
    if (remoteStaging && target) await (target as StateServerSession).run({ kind: 'remove-staging', path: remoteStaging }).catch(() => undefined);
    await (db as RestoredDb | null)?.close();
  }
}

/**
 * FAILED in `juju.restoreInfo`, with the reason, when juju-db on the
 * replacement answers (best effort, bounded). Past the point of no return
 * with juju-db not yet reopened (mongorestore failed, say), juju-db is
 * started and made primary of its one-member replica set first, as the
 * restore would have, so the status can be written at all.
 */
async function markFailed(deps: RestoreRunDeps, db: RestoredDb | null, target: StateServerSession | null, login: AdminLogin | null, state: RunState, reason: string, address: string | null): Promise<void> {
  try {
    if (db) {
      await setRestoreStatus(db.client, 'FAILED', reason);
      state.status('FAILED');
      return;
    }
    if (!target || !login || !state.run.pointOfNoReturn.passed) return;
    await target.run({ kind: 'service', service: 'juju-db', action: 'start' }).catch(() => undefined);
    const opened = await openRestoredDb(target, login, deps.secrets, 10_000, deps.alternateCaPem ?? null);
    try {
      if (address) await initiateReplicaSet(opened.client, address, 15_000);
      await setRestoreStatus(opened.client, 'FAILED', reason);
    } finally {
      await opened.close();
    }
    state.status('FAILED');
  } catch (error) {
    state.log(state.run.steps.find((s) => s.state === 'failed')?.id ?? 'update-bootstrap', `could not record FAILED in juju.restoreInfo: ${deps.secrets.redact(message(error))}`, 'warning');
  }
}

/** The instance id a fresh bootstrap recorded for machine 0 in its own juju-db (`juju.instanceData`), read before the wipe; bounded. */
export async function bootstrappedInstanceId(session: StateServerSession): Promise<{ instanceId: string | null; why: string }> {
  try {
    const doc = await within(
      session.withMongo((c) => c.find({ db: 'juju', collection: 'instanceData' }, { machineid: '0' }).toArray()),
      10_000,
      `juju-db on ${session.address}`,
    );
    const id = doc[0]?.instanceid;
    return typeof id === 'string' && id !== '' ? { instanceId: id, why: '' } : { instanceId: null, why: 'no instanceData for machine 0' };
  } catch (error) {
    return { instanceId: null, why: message(error) };
  }
}
