import { randomUUID } from 'node:crypto';
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { QuorumError, serializeError } from '../../../shared/errors';
import type {
  ArchiveRef,
  MachineUpdateRow,
  PrecheckResult,
  RestoreConfirmations,
  RestoreInspectResult,
  RestoreResult,
  RestoreRun,
  RestoreTarget,
} from '../../../shared/ipc/channels/restore';
import type { SecretRegistry } from '../../../shared/redact';
import { restoreVerdict } from '../../../shared/restore/verdict';
import type { SandboxControl, SandboxDescription } from '../../sandbox/types';
import { ConnectionManager } from '../connection/connection-manager';
import type { ConnectionTarget } from '../environments/target';
import { targetForSandbox } from '../environments/targets';
import type { Logger } from '../log';
import type { OperationManager } from '../operations/operation-manager';
import { downloadFilenameFor } from '../../../shared/backups/metadata';
import { ServerBackupStore } from '../backups/server-store';
import { streamToFile } from '../backups/stream-to-file';
import { inspectBackup } from './inspect';
import { judgePrechecks, oldInstanceStillExists } from './prechecks';
import { probeStateServers, probeTarget } from './probes';
import { runRestore, type RestoreOutcome } from './restore-run';
import { RunState } from './run-state';
import { bringBack, offlineAdvice, serversToTakeOffline, takeOffline, type OfflineServer } from './take-offline';
import { updateMachine } from './update-machines';

/**
 * The restore service behind the `restore.*` channels: stage and inspect an
 * archive, judge the checklist, run the restore (restore-run.ts) as an
 * operation of kind `restore`, retry one machine's update, and rehearse in a
 * throwaway sandbox. Each run gets its own ConnectionManager, so the
 * replacement's agent.conf is read afresh and the console's own connection
 * is never disturbed; local staging lives under `QUORUM_HOME/restore/` and
 * is removed when the run ends, however it ends. A server copy
 * (`{environmentId, backupId}`) is fetched from GridFS into
 * `QUORUM_HOME/staging` (checksum checked against the server's record) and
 * then restored exactly as a local file; it is removed when discarded, when
 * a restore from it succeeds (kept after a failure, for the retry from the
 * start, since the origin is down by then), or at close.
 */

/** Where an environment is, as the restore needs it. */
export interface RestorePlace {
  readonly environmentId: string;
  readonly name: string;
  /** Environment UUID when known without asking juju-db (the sandbox's description, the .jenv). */
  readonly uuid: string | null;
  readonly target: ConnectionTarget;
  /** The sandbox's control, when the environment is a sandbox. */
  readonly sandbox: (SandboxControl & { describe(): Promise<SandboxDescription> | SandboxDescription }) | null;
}

export interface RestoreServiceOptions {
  readonly home: string;
  readonly operations: OperationManager;
  readonly secrets: SecretRegistry;
  readonly log: Logger;
  readonly place: (environmentId: string) => Promise<RestorePlace>;
  readonly emitProgress: (run: RestoreRun) => void;
  /** The SHA-1 the library or the server recorded for a local file, when one did. */
  readonly recordedChecksum?: (localPath: string) => Promise<{ checksum: string; source: 'library' | 'server' } | null>;
  /** Downloads a server backup into `dir`; returns the file and its recorded checksum. */
  readonly downloadServerBackup?: (environmentId: string, backupId: string, dir: string, signal: AbortSignal) => Promise<{ file: string; checksum: string }>;
  /** Starts a throwaway sandbox in `home` shaped like the archive's environment (rehearsal). */
  readonly startThrowawaySandbox?: (home: string, shape: { stateServers: number; workloads: number }) => Promise<RestorePlace & { stop(): Promise<void> }>;
  readonly connectionBackoff?: { initialMs: number; maxMs: number };
  readonly jujuDbTimeoutMs?: number;
}

interface RunRecord {
  state: RunState;
  result: RestoreResult | null;
  outcome: RestoreOutcome | null;
  place: RestorePlace;
}

export interface RestoreService {
  stage(localPath: string): Promise<{ localPath: string; fileName: string; size: number; staged: boolean }>;
  discard(localPath: string): Promise<{ removed: boolean }>;
  inspect(archive: ArchiveRef): { operationId: string };
  precheck(environmentId: string, archive: ArchiveRef, target: RestoreTarget, confirmations: RestoreConfirmations): Promise<PrecheckResult>;
  start(environmentId: string, archive: ArchiveRef, target: RestoreTarget, confirmations: RestoreConfirmations): Promise<{ operationId: string }>;
  retryMachine(operationId: string, machineId: string): Promise<MachineUpdateRow>;
  rehearse(archive: ArchiveRef): { operationId: string };
  result(operationId: string): { run: RestoreRun; result: RestoreResult | null };
  close(): Promise<void>;
}

const ARCHIVE_NAME = /\.(tar\.gz|tgz)$/i;

export function createRestoreService(options: RestoreServiceOptions): RestoreService {
  const log = options.log.child('restore');
  const stagingRoot = path.join(options.home, 'staging');
  const workRoot = path.join(options.home, 'restore');
  const runs = new Map<string, RunRecord>();
  /** Replacements this service started, by environment: a retry may power them off and start again. */
  const replacements = new Set<string>();
  const managers = new Set<ConnectionManager>();

  const newManager = (): ConnectionManager => {
    const m = new ConnectionManager({ quorumHome: options.home, secrets: options.secrets, logger: log, backoff: options.connectionBackoff ?? { initialMs: 200, maxMs: 2_000 } });
    managers.add(m);
    return m;
  };
  const closeManager = async (m: ConnectionManager) => {
    managers.delete(m);
    await m.close().catch(() => undefined);
  };

  const isStaged = async (file: string): Promise<boolean> => {
    const root = await realpath(stagingRoot).catch(() => stagingRoot);
    return path.dirname(file) === root || path.dirname(file) === stagingRoot;
  };

  const checkFile = async (localPath: string): Promise<{ file: string; size: number }> => {
    if (!path.isAbsolute(localPath)) throw new QuorumError('invalid-input', `${localPath} is not an absolute path.`);
    const info = await stat(localPath).catch(() => null);
    if (!info) throw new QuorumError('not-found', `${localPath} does not exist.`);
    if (info.isDirectory()) throw new QuorumError('invalid-input', `${path.basename(localPath)} is a folder; drop the juju-backup-*.tar.gz file itself.`);
    if (!info.isFile()) throw new QuorumError('invalid-input', `${path.basename(localPath)} is not a regular file.`);
    const staged = await isStaged(localPath);
    if (!ARCHIVE_NAME.test(localPath) && !(staged && ARCHIVE_NAME.test(localPath.replace(/^.*?-/, '')))) {
      throw new QuorumError('invalid-input', `${path.basename(localPath)} is not a backup archive: Juju's backups are .tar.gz (or .tgz) files.`);
    }
    return { file: localPath, size: info.size };
  };

  /**
   * A server copy fetched from the environment's GridFS into `QUORUM_HOME/staging`
   * (0600, checksum checked against the server's record on the way, nothing
   * kept when it differs or the download stops), named like a staged drop so
   * `discard` removes it. Any state server that answers serves it.
   */
  const downloadFromServer = async (environmentId: string, backupId: string, signal: AbortSignal, onProgress?: (bytes: number, total: number) => void): Promise<{ file: string; checksum: string }> => {
    const place = await options.place(environmentId);
    await mkdir(stagingRoot, { recursive: true, mode: 0o700 });
    const manager = newManager();
    try {
      const connection = manager.open(place.target);
      // Each listed state server in turn: one that is down, refuses the login (a replacement already
      // bootstrapped at the origin's address, say) or holds no such backup gives way to the next.
      const errors: QuorumError[] = [];
      for (const s of place.target.stateServers) {
        try {
          const session = await connection.stateServer(s.address);
          const uuid = session.agentConf?.environmentUuid ?? place.uuid;
          if (!uuid) throw new QuorumError('agent-conf-unreadable', `agent.conf on ${session.address} names no environment.`);
          return await session.withMongo(async (client) => {
            const store = new ServerBackupStore(client, uuid);
            const meta = await store.get(backupId);
            if (!meta) throw new QuorumError('not-found', `No backup ${backupId} on the state servers. Refresh the Backups list.`);
            const target = path.join(stagingRoot, `${randomUUID().slice(0, 8)}-${downloadFilenameFor(backupId)}`);
            const written = await streamToFile(await store.open(backupId), target, {
              signal,
              expectedChecksum: meta.checksum,
              onProgress: (bytes) => onProgress?.(bytes, meta.size),
            });
            serverCopies.add(written.path);
            return { file: written.path, checksum: written.checksum };
          });
        } catch (error) {
          if (signal.aborted) throw error;
          const qe = error instanceof QuorumError ? error : new QuorumError('internal', String(error));
          log.info('Server copy not fetched from this state server', { address: s.address, code: qe.code, error: qe.message });
          errors.push(qe);
        }
      }
      // A database that answered "no such backup" is the answer; otherwise the first listed server's failure.
      const last = errors.find((e) => e.code === 'not-found') ?? errors[0];
      throw last
        ? new QuorumError(last.code, `The server copy of ${backupId} cannot be fetched: ${last.message}`)
        : new QuorumError('host-unreachable', `No state server answers, so the server copy of ${backupId} cannot be fetched. Use a local copy of the archive.`);
    } finally {
      await closeManager(manager);
    }
  };
  /** Server copies downloaded into staging: removed when discarded, when a run from them ends, or at close. */
  const serverCopies = new Set<string>();

  /** The local file for an archive ref (a server backup is downloaded into staging), with its recorded checksum. */
  const resolveArchive = async (archive: ArchiveRef, signal: AbortSignal, onProgress?: (bytes: number, total: number) => void) => {
    if ('localPath' in archive) {
      const { file } = await checkFile(archive.localPath);
      if (serverCopies.has(file)) return { file, expected: serverChecksums.get(file) ?? null, source: 'server' as const, temporary: false };
      const recorded = (await options.recordedChecksum?.(file).catch(() => null)) ?? null;
      return { file, expected: recorded?.checksum ?? null, source: recorded?.source ?? null, temporary: false };
    }
    const got = options.downloadServerBackup
      ? await options.downloadServerBackup(archive.environmentId, archive.backupId, stagingRoot, signal)
      : await downloadFromServer(archive.environmentId, archive.backupId, signal, onProgress);
    serverChecksums.set(got.file, got.checksum);
    return { file: got.file, expected: got.checksum, source: 'server' as const, temporary: true };
  };
  const serverChecksums = new Map<string, string>();
  const forgetCopy = async (file: string) => {
    serverCopies.delete(file);
    serverChecksums.delete(file);
    await rm(file, { force: true });
  };

  /** Inspections by file, size and mtime: the page's inspect, the checklist and start share one read. */
  const inspectionCache = new Map<string, RestoreInspectResult>();
  const cacheKey = async (file: string) => {
    const st = await stat(file).catch(() => null);
    return st ? `${file}\0${st.size}\0${st.mtimeMs}` : file;
  };

  const precheck: RestoreService['precheck'] = async (environmentId, archive, target, confirmations) => {
    const place = await options.place(environmentId);
    const ref = 'localPath' in archive ? (await checkFile(archive.localPath)).file : null;
    let inspected = ref ? inspectionCache.get(await cacheKey(ref)) : undefined;
    if (!inspected) {
      const abort = new AbortController();
      let temporary: string | null = null;
      try {
        const r = await resolveArchive(archive, abort.signal);
        if (r.temporary) temporary = r.file;
        const inspection = await inspectBackup(r.file, { expectedChecksum: r.expected });
        inspected = { localPath: r.file, inspection: inspection as never, verdict: restoreVerdict(inspection) as never, checksum: { state: r.expected ? 'verified' : 'unverified', expected: r.expected, source: r.source } };
        if (!r.temporary) inspectionCache.set(await cacheKey(r.file), inspected);
      } finally {
        if (temporary) await forgetCopy(temporary);
      }
    }
    const { inspection, verdict } = inspected!;
    const origin = inspection.metadata?.machine || '0';
    const manager = newManager();
    try {
      const connection = manager.open(place.target);
      let originAddress: string | null = null;
      let originInstance: string | null = null;
      if (place.sandbox) {
        const d = await place.sandbox.describe();
        const m = d.machines.find((x) => x.id === origin);
        originAddress = m?.address ?? null;
        originInstance = m?.instanceId ?? null;
      }
      const servers = await probeStateServers(connection, originAddress ? [originAddress] : []);
      const originProbe = servers.find((s) => (originAddress ? s.address === originAddress : s.machineId === origin));
      const uuid = place.uuid ?? connection.sessions().map((s) => s.agentConf?.environmentUuid ?? null).find((u) => u) ?? null;
      let targetFacts: Parameters<typeof judgePrechecks>[0]['target'] = { kind: 'sandbox', address: null, reachable: null, error: null, toolsVersions: [], mongorestore: null, freeBytes: null };
      if (target.kind === 'host') {
        const hostTarget = namedHostTarget(place.target, target.address, target.sshPort);
        const probe = await probeTarget(newManagerFor(hostTarget).session(target.address));
        targetFacts = { kind: 'host', address: target.address, ...probe };
      }
      return judgePrechecks({
        verdict,
        archiveEnvironmentUuid: inspection.metadata?.environment ?? null,
        environmentUuid: uuid,
        environmentName: place.name,
        originMachineId: origin,
        originInstanceId: originInstance,
        originSshUp: originProbe ? originProbe.sshUp : null,
        originJujuDbUp: originProbe ? originProbe.jujuDbUp : null,
        target: targetFacts,
        backupVersion: inspection.metadata?.version ?? null,
        neededBytes: inspection.size + inspection.gzip.uncompressedBytes + inspection.rootTar.bytes,
        votingUp: servers.filter((s) => s.hasVote).map((s) => s.machineId ?? s.address),
        confirmations,
      });
    } finally {
      await closeManager(manager);
      for (const m of [...extraManagers]) await closeManager(m);
      extraManagers.clear();
    }
  };
  const extraManagers = new Set<ConnectionManager>();
  const newManagerFor = (target: ConnectionTarget) => {
    const m = newManager();
    extraManagers.add(m);
    return m.open(target);
  };

  /** The steps against one place; shared by `start` and `rehearse`. */
  const execute = async (record: RunRecord, archive: ArchiveRef, target: RestoreTarget, signal: AbortSignal, removeCopyOnSuccess: boolean): Promise<RestoreResult> => {
    const { place, state } = record;
    const began = Date.now();
    const dir = path.join(workRoot, state.run.operationId);
    await mkdir(workRoot, { recursive: true, mode: 0o700 });
    const manager = newManager();
    const targetManager = newManager();
    let copy: string | null = null;
    let succeeded = false;
    let offline: OfflineServer[] = [];
    try {
      const resolved = await resolveArchive(archive, signal, (bytes, total) => state.log('extract-credentials', `downloaded ${bytes} of ${total} bytes of the server copy`));
      // A server copy fetched for this run goes when it ends; one the page staged goes once it restored (kept after a failure for the retry).
      if (resolved.temporary || (removeCopyOnSuccess && serverCopies.has(resolved.file))) copy = resolved.file;
      if (resolved.temporary) state.log('extract-credentials', `fetched the server copy into ${resolved.file} (SHA-1 checked against the server's record)`);
      const sandbox = place.sandbox;
      const key = `${place.environmentId}:${place.target.keyFile}`;
      let machineTarget = place.target;
      const sessionOn = (address: string) => manager.open(place.target).stateServer(address);
      /** Seed: "Otherwise restore will take them off": state servers still running are stopped before the replacement comes up. */
      const takeRemainingOffline = async (say: (line: string, level?: 'info' | 'warning') => void) => {
        const probes = await probeStateServers(manager.open(place.target), []);
        const servers = serversToTakeOffline(probes, { machineId: state.run.machineId, address: target.kind === 'host' ? target.address : null });
        if (servers.length === 0) return;
        say(`taking the remaining state server${servers.length > 1 ? 's' : ''} ${servers.map((s) => s.machineId).join(', ')} offline, as Juju's restore does`);
        offline = await takeOffline(servers, sessionOn, say);
      };
      const outcome = await runRestore({
        secrets: options.secrets,
        state,
        signal,
        archive: { file: resolved.file, expectedChecksum: resolved.expected },
        stagingDir: path.join(dir, 'staging'),
        ...(options.jujuDbTimeoutMs ? { jujuDbTimeoutMs: options.jujuDbTimeoutMs } : {}),
        ...(state.run.mode === 'rehearsal' ? { alternateCaPem: place.target.caCertPem } : {}),
        rebootstrap: async (say) => {
          await takeRemainingOffline(say);
          if (target.kind === 'host') {
            say(`using the freshly bootstrapped host ${target.address} named by the operator`);
            // The sandbox knows its instances as a cloud would; elsewhere the host's own juju-db is asked (restore-run).
            const known = sandbox ? (await sandbox.describe()).machines.find((m) => m.address === target.address)?.instanceId : undefined;
            return { address: target.address, instanceId: known ?? null };
          }
          if (!sandbox) throw new QuorumError('invalid-input', 'This environment is not a sandbox: name the freshly bootstrapped host to restore onto.');
          const id = state.run.machineId;
          const d = await sandbox.describe();
          const old = d.machines.find((m) => m.id === id);
          if (old?.powered) {
            if (!replacements.has(`${key}:${id}`)) throw new QuorumError('conflict', oldInstanceStillExists(old.instanceId));
            say(`powering off the replacement an earlier attempt started (instance "${old.instanceId}")`);
            await sandbox.powerOff(id);
          }
          say(`Bootstrapping environment "${d.environment.name}"`);
          say('Starting new instance for initial state server');
          const added = await sandbox.addMachine({ id, jobs: ['JobManageEnviron', 'JobHostUnits'] });
          replacements.add(`${key}:${id}`);
          say(` - ${added.instanceId}`);
          machineTarget = { ...targetForSandbox(await sandbox.describe()), environmentId: place.environmentId };
          return { address: added.address, instanceId: added.instanceId };
        },
        // The replacement on a connection of its own: the manager keeps one target open, and the
        // machines' sessions (another target) would close the replacement's, and its juju-db tunnel with it.
        targetSession: async (address) => {
          const t: ConnectionTarget =
            target.kind === 'host' ? namedHostTarget(place.target, address, target.sshPort) : machineTarget;
          return targetManager.open(t).stateServer(address);
        },
        machineSession: async (address) => manager.open(machineTarget).stateServer(address),
      });
      record.outcome = outcome;
      // A fresh connection: the replacement's agent.conf (and so its password) is the backup's now.
      const reader = newManager();
      const summary = await summarise(record, outcome, Date.now() - began, reader.open(machineTarget)).finally(() => closeManager(reader));
      const advice = offlineAdvice(offline);
      const result = advice ? { ...summary, sentence: `${summary.sentence} ${advice}` } : summary;
      record.result = result;
      succeeded = true;
      state.finish('succeeded', null);
      return result;
    } catch (error) {
      if (offline.length > 0 && !state.run.pointOfNoReturn.passed) {
        state.log('rebootstrap', 'the restore stopped before its point of no return: starting the state servers it took offline again');
        await bringBack(offline, (address) => manager.open(place.target).stateServer(address), (line, level) => state.log('rebootstrap', line, level));
      }
      const qe = error instanceof QuorumError ? error : new QuorumError('internal', String(error));
      state.finish(qe.code === 'cancelled' ? 'cancelled' : 'failed', serializeError(qe));
      throw error;
    } finally {
      await closeManager(manager);
      await closeManager(targetManager);
      await rm(dir, { recursive: true, force: true });
      if (copy && (succeeded || !('localPath' in archive))) await forgetCopy(copy);
    }
  };

  const summarise = async (record: RunRecord, outcome: RestoreOutcome, durationMs: number, connection: ReturnType<ConnectionManager['open']>): Promise<RestoreResult> => {
    const session = await connection.stateServer(outcome.address);
    const { machines, members } = await session.withMongo(async (c) => ({
      machines: await c.find({ db: 'juju', collection: 'machines' }, {}).toArray(),
      members: ((await c.command('admin', { replSetGetStatus: 1 }).catch(() => ({ members: [] }))).members ?? []) as Array<{ name?: string }>,
    }));
    const view = machines
      .map((m) => {
        const address = (m.preferredprivateaddress as { value?: string } | undefined)?.value ?? null;
        const isStateServer = ((m.jobs as unknown[]) ?? []).map(Number).includes(2);
        const hasVote = isStateServer && m.hasvote === true && members.some((x) => x.name === `${address}:37017`);
        const row = outcome.rows.find((r) => r.machineId === String(m.machineid));
        const agentState = isStateServer ? 'started' : row?.state === 'succeeded' ? 'started' : row ? 'down' : 'unknown';
        return { machineId: String(m.machineid), address, isStateServer, hasVote, agentState, life: ['alive', 'dying', 'dead'][Number(m.life)] ?? 'alive' };
      })
      .sort((a, b) => Number(a.machineId) - Number(b.machineId));
    const stateServers = view.filter((m) => m.isStateServer);
    const failed = outcome.rows.filter((r) => r.state === 'failed').length;
    return {
      environmentId: record.place.environmentId,
      mode: record.state.run.mode,
      machineId: outcome.machineId,
      targetAddress: outcome.address,
      restoreStatus: outcome.status,
      stateServers,
      machines: view,
      updates: [...outcome.rows],
      durationMs,
      sentence:
        `The environment now has a single state server (machine ${outcome.machineId} at ${outcome.address}). ` +
        (failed ? `${failed} machine${failed > 1 ? 's' : ''} could not be updated; retry once they are up. ` : 'Every other machine follows it. ') +
        'Enable HA (3) to get redundancy back, and take a new backup.',
    };
  };

  const launch = (environmentId: string, mode: RestoreRun['mode'], title: string, machineId: string, body: (record: RunRecord, signal: AbortSignal) => Promise<RestoreResult>, place: RestorePlace) =>
    options.operations.start('restore', { environmentId, title, exclusiveKey: `restore:${environmentId}` }, async (ctx) => {
      const state = new RunState({ operationId: ctx.operationId, environmentId, mode, machineId }, (run) => {
        options.emitProgress(run);
        const running = run.steps.find((s) => s.state === 'running');
        ctx.progress({ phase: running?.id ?? run.state, message: running?.title ?? run.state, step: run.steps.filter((s) => s.state === 'succeeded').length, steps: run.steps.length });
      });
      const record: RunRecord = { state, result: null, outcome: null, place };
      runs.set(ctx.operationId, record);
      // Cancel reaches the steps only until the point of no return.
      const abort = new AbortController();
      ctx.signal.addEventListener('abort', () => {
        if (!state.run.pointOfNoReturn.passed) abort.abort();
        else ctx.log('Cancel asked after the point of no return: the restore goes on to its end.', 'warning');
      });
      return body(record, abort.signal);
    });

  return {
    async stage(localPath) {
      const { file, size } = await checkFile(localPath);
      return { localPath: file, fileName: path.basename(file), size, staged: await isStaged(file) };
    },
    async discard(localPath) {
      if (!(await isStaged(path.resolve(localPath)))) throw new QuorumError('forbidden', 'Only files Quorum staged can be discarded here.');
      await forgetCopy(path.resolve(localPath));
      return { removed: true };
    },
    inspect(archive) {
      return options.operations.start('restore', { environmentId: 'environmentId' in archive ? archive.environmentId : '', title: 'Inspect backup archive' }, async (ctx) => {
        let fetched: string | null = null;
        let kept = false;
        try {
          const r = await resolveArchive(archive, ctx.signal, (bytes, total) =>
            ctx.progress({ phase: 'downloading', message: `Downloading the server copy of ${'backupId' in archive ? archive.backupId : ''}`, bytes, totalBytes: total, fraction: total ? Math.min(1, bytes / total) : 1 }),
          );
          if (r.temporary) fetched = r.file;
          const inspection = await inspectBackup(r.file, {
            signal: ctx.signal,
            expectedChecksum: r.expected,
            onProgress: (bytes, total) => ctx.progress({ phase: 'inspecting', message: `Reading ${path.basename(r.file)}`, bytes, totalBytes: total, fraction: total ? bytes / total : 0 }),
          });
          const result: RestoreInspectResult = {
            localPath: r.file,
            inspection: inspection as never,
            verdict: restoreVerdict(inspection) as never,
            checksum: { state: r.expected ? 'verified' : 'unverified', expected: r.expected, source: r.source },
          };
          // The downloaded server copy stays staged for the checklist and the run (discard removes it).
          inspectionCache.set(await cacheKey(r.file), result);
          kept = true;
          return result;
        } finally {
          if (fetched && !kept) await forgetCopy(fetched);
        }
      });
    },
    precheck,
    async start(environmentId, archive, target, confirmations) {
      const checks = await precheck(environmentId, archive, target, confirmations);
      if (!checks.canStart) {
        const failing = checks.items.filter((i) => i.state === 'fail');
        throw new QuorumError('conflict', failing.map((i) => i.why).join(' '), { details: { failing: failing.map((i) => i.id).join(',') } });
      }
      const place = await options.place(environmentId);
      return launch(environmentId, 'restore', `Restore ${place.name} from backup`, checks.originMachineId, (record, signal) => execute(record, archive, target, signal, true), place);
    },
    async retryMachine(operationId, machineId) {
      const record = runs.get(operationId);
      const row = record?.state.run.machines.find((r) => r.machineId === machineId);
      if (!record || !record.outcome || !row) throw new QuorumError('not-found', `No finished restore ${operationId} with machine ${machineId} to retry.`);
      const m = record.outcome.toUpdate.find((x) => x.machineId === machineId)!;
      const manager = newManager();
      try {
        const t = record.place.sandbox ? { ...targetForSandbox(await record.place.sandbox.describe()), environmentId: record.place.environmentId } : record.place.target;
        record.state.row({ ...row, state: 'running' });
        const next = await updateMachine(m, record.outcome.address, (a) => manager.open(t).stateServer(a), row.attempts + 1, (line) => record.state.log('update-all-machines', line));
        record.state.row(next);
        if (record.result) record.result = { ...record.result, updates: record.result.updates.map((u) => (u.machineId === machineId ? next : u)) };
        return next;
      } finally {
        await closeManager(manager);
      }
    },
    rehearse(archive) {
      if (!options.startThrowawaySandbox) throw new QuorumError('invalid-input', 'Rehearsal needs the sandbox, which this console cannot start.');
      const start = options.startThrowawaySandbox;
      return options.operations.start('restore', { environmentId: 'rehearsal', title: 'Rehearse restore in a throwaway sandbox' }, async (ctx) => {
        const home = path.join(workRoot, `rehearsal-${ctx.operationId}`);
        await mkdir(home, { recursive: true, mode: 0o700 });
        let fetched: string | null = null;
        try {
          const r = await resolveArchive(archive, ctx.signal);
          if (r.temporary) fetched = r.file;
          const inspection = await inspectBackup(r.file, { signal: ctx.signal, expectedChecksum: r.expected });
          const machine = inspection.metadata?.machine || '0';
          ctx.log(`Starting a throwaway sandbox in ${home}`);
          const shape = await shapeOf(r.file, inspection);
          const sandbox = await start(home, shape);
          try {
            const d = await sandbox.sandbox!.describe();
            for (const m of d.machines.filter((x) => x.stateServer)) await sandbox.sandbox!.powerOff(m.id);
            const rec: RunRecord = { state: new RunState({ operationId: ctx.operationId, environmentId: sandbox.environmentId, mode: 'rehearsal', machineId: machine }, options.emitProgress), result: null, outcome: null, place: sandbox };
            runs.set(ctx.operationId, rec);
            return await execute(rec, { localPath: r.file }, { kind: 'sandbox' }, ctx.signal, false);
          } finally {
            await sandbox.stop().catch(() => undefined);
          }
        } finally {
          if (fetched) await forgetCopy(fetched);
          await rm(home, { recursive: true, force: true });
        }
      });
    },
    result(operationId) {
      const record = runs.get(operationId);
      if (!record) throw new QuorumError('not-found', `No restore ${operationId} is known (it may be from before Quorum restarted).`);
      return { run: record.state.run, result: record.result };
    },
    async close() {
      for (const m of [...managers]) await closeManager(m);
      for (const f of [...serverCopies]) await forgetCopy(f);
    },
  };
}

/**
 * The environment's target narrowed to the host the operator named as the
 * replacement: over the SSH port given, else wherever the environment says
 * that address is reached (the sandbox maps its 10.23.0.x addresses to
 * 127.0.0.1 ports; a `.jenv` environment uses port 22).
 */
export function namedHostTarget(environment: ConnectionTarget, address: string, sshPort: number | undefined): ConnectionTarget {
  let ssh = { host: address, port: sshPort ?? 22 };
  if (sshPort === undefined) {
    try {
      ssh = environment.sshEndpointFor(address);
    } catch {
      // Not a machine the environment knows (a freshly bootstrapped host): port 22 at that address.
    }
  }
  return { ...environment, stateServers: [{ address, ssh }] };
}

/** The archive's environment as far as known: one state server (the origin) and the workload machines its juju.machines lists. */
async function shapeOf(file: string, inspection: Awaited<ReturnType<typeof inspectBackup>>): Promise<{ stateServers: number; workloads: number }> {
  void file;
  const machines = inspection.dump.databases.find((d) => d.name === 'juju')?.collections.find((c) => c.name === 'machines')?.documents ?? 1;
  return { stateServers: 1, workloads: Math.max(0, Math.min(20, machines - 1)) };
}
