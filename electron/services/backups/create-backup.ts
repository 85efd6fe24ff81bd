import { createReadStream } from 'node:fs';
import { mkdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { archiveMetadataJson, backupIdFor, CHECKSUM_FORMAT, defaultBackupFilename, NO_DOWNLOAD_WARNING, type BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import type { OperationContext } from '../operations/operation-manager';
import { parseDfAvailable } from '../../../shared/remote-commands';
import { CONTENT_DIR, DUMP_DIR, METADATA_ENTRY, ROOT_TAR_ENTRY, rootTarSources } from '../archive/juju-archive';
import { TarGzFileWriter, writeFailure } from '../archive/tar-gz-file-writer';
import type { StateServerSession } from '../connection/state-server-session';
import type { Logger } from '../log';
import type { JujuDbClient } from '../mongo/juju-db-client';
import { bsonNumber } from './bson-values';
import { dumpToArchive } from './dump';
import { ProgressReporter } from './progress';
import { readReplicaSet, stateServerChoices, chooseInitialStateServer, waitUntilReady, type ReplicaSetView, type StateServerChoice } from './readiness';
import { feedUpload, ServerBackupStore } from './server-store';

/**
 * One backup, as `juju backups create` makes it but streamed end to end:
 * readiness and free-space checks, `root.tar` straight from the remote tar,
 * the dump through the juju-db client, both through the parallel gzip and SHA-1 into
 * the local `.partial`; then stored in GridFS with its metadata. Whatever
 * fails or is cancelled leaves no final file and no metadata.
 *
 * The archive is stored once complete, as Juju does, not while the dump
 * runs: every chunk inserted would also land in juju-db's replication log,
 * and a dump is only consistent while that log still reaches back to the
 * dump's start (a 1.2 GB environment overran a 1 GB log that way). Measured
 * on the sandbox, storing after the dump is no slower either.
 */

export interface GzipTuning {
  readonly level?: number;
  readonly blockSize?: number;
  readonly workers?: number;
  /** Collections smaller than this are written inline rather than streamed (default: one block). */
  readonly inlineEntryBytes?: number;
}

export interface CreateBackupInput {
  readonly machineId?: string | undefined;
  readonly notes: string;
  readonly keepLocal: boolean;
  /** Folder for the local copy (made 0700 when it does not exist). */
  readonly folder: string;
  readonly filename?: string | undefined;
}

export interface CreateBackupDeps {
  /** A connected session for a machine address. */
  session(address: string): Promise<StateServerSession>;
  /** The primary's session: the archive and its metadata are written there. */
  primary(): Promise<StateServerSession>;
  /** The environment's state-server sessions, connected ones first, to read the replica set from. */
  sessions(): Promise<readonly StateServerSession[]>;
  /** Private scratch space (0700) for the archive when no local copy is kept. */
  readonly tempRoot: string;
  readonly logger: Logger;
  readonly gzip?: GzipTuning;
  readonly readiness?: { readonly timeoutMs?: number; readonly pollMs?: number };
  /** Called with the local path once the archive is complete (to record its checksum as verified). */
  onLocalArchive?(file: string, checksum: string): void;
}

export interface CreateBackupOutput {
  readonly metadata: BackupMetadata;
  readonly localPath: string | null;
  readonly warning: string | null;
}

const SAFETY_MARGIN = 64 * 1024 * 1024;

/**
 * gzip level for backup archives: 1, as `juju backups` archives are for
 * restoring, not for shipping; on a state server's data (BSON, txn logs) it
 * gives most of level 6's ratio at two to three times the speed.
 */
export const BACKUP_GZIP_LEVEL = 1;

/**
 * Bytes of BSON data in every database a backup dumps: `dbStats.dataSize`
 * per database (2.4's dbStats has it too, beside `storageSize` and
 * `fileSize`).
 */
export async function dataBytes(client: JujuDbClient): Promise<number> {
  const databases = await client.listDatabases();
  let data = 0;
  for (const d of databases) {
    if (d.name === 'local' || d.name === 'backups') continue;
    const stats = await client.command(d.name, { dbStats: 1 });
    data += bsonNumber(stats.dataSize) ?? 0;
  }
  return data;
}

/** Bytes the archive may need on disk: data compresses well, so about 60 % of it plus a margin. */
function estimateArchiveBytes(data: number): number {
  return Math.ceil(data * 0.6) + SAFETY_MARGIN;
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(0)} MiB`;
}

/**
 * Retries a read a few times when juju-db did not answer: the first request
 * after an SSH reconnect can hit a pooled connection that died with the old
 * tunnel; the driver drops the pool and the next attempt works.
 */
export async function retryMongo<T>(fn: () => Promise<T>, signal?: AbortSignal, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts || !(error instanceof QuorumError) || error.code !== 'mongo-unavailable') throw error;
      signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 250 * i));
    }
  }
}

/** Reads the replica set from the first state server that answers. */
async function readFromAny(sessions: () => Promise<readonly StateServerSession[]>): Promise<ReplicaSetView> {
  let last: unknown = new QuorumError('host-unreachable', 'No state server can be reached.');
  for (const s of await sessions()) {
    try {
      return await s.withMongo((c) => readReplicaSet(c));
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

async function pickMachine(
  deps: CreateBackupDeps,
  requested: string | undefined,
  wait: (read: () => Promise<ReplicaSetView>) => Promise<ReplicaSetView>,
  signal: AbortSignal,
): Promise<{ choice: StateServerChoice; session: StateServerSession }> {
  const view = await wait(() => readFromAny(deps.sessions));
  const choices = stateServerChoices(view);
  if (requested !== undefined) {
    const choice = choices.find((c) => c.machineId === requested);
    if (!choice) throw new QuorumError('not-found', `Machine ${requested} is not a state server of this environment. Pick one from the list.`);
    const session = await deps.session(choice.address);
    await retryMongo(() => session.withMongo((c) => c.command('admin', { ping: 1 })), signal);
    return { choice, session };
  }
  // The initial state server first; when it cannot be reached, the next healthy voting one.
  const first = chooseInitialStateServer(choices);
  const ordered = [...(first ? [first] : []), ...choices.filter((c) => c !== first && c.voting && c.healthy)];
  let last: unknown = new QuorumError('ha-not-ready', 'HA not ready; try again later. No state server is healthy enough to back up from.');
  for (const choice of ordered) {
    try {
      const session = await deps.session(choice.address);
      await retryMongo(() => session.withMongo((c) => c.command('admin', { ping: 1 })), signal, 2);
      return { choice, session };
    } catch (error) {
      signal.throwIfAborted();
      last = error;
    }
  }
  throw last;
}

export async function createBackup(ctx: OperationContext, deps: CreateBackupDeps, input: CreateBackupInput): Promise<CreateBackupOutput> {
  const { signal } = ctx;
  let writer: TarGzFileWriter | null = null;
  // Bytes the bar counts: the tar stream, then the upload.
  let counted = (): number => writer?.tarBytes ?? 0;
  const reporter = new ProgressReporter((p) => ctx.progress(p), () => counted());
  let tempFile: string | null = null;
  let upload: Awaited<ReturnType<ServerBackupStore['beginUpload']>> | null = null;
  try {
    reporter.phase({ phase: 'checking', message: 'Checking that the replica set is ready…' });
    // Juju's WaitUntilReady: a healthy majority (polled, up to 60 s) before anything else.
    const wait = (read: () => Promise<ReplicaSetView>): Promise<ReplicaSetView> =>
      waitUntilReady(read, {
        ...deps.readiness,
        signal,
        onWait: (left) => reporter.phase({ phase: 'checking', message: `Waiting for a healthy majority of state servers (${left} s left)…` }),
      });
    const { choice, session } = await pickMachine(deps, input.machineId, wait, signal);
    ctx.log(`Backing up from machine ${choice.machineId} (${choice.address}).`);
    const info = session.agentConf;
    const environment = info?.environmentUuid;
    if (!info || !environment) throw new QuorumError('agent-conf-unreadable', `agent.conf on machine ${choice.machineId} names no environment; cannot label the backup.`);
    const hostname = (await session.run({ kind: 'read-file', path: '/etc/hostname' }, { signal })).toString('utf8').trim();
    const version = info.upgradedToVersion ?? 'unknown';

    // Free space, locally and on the server (GridFS lives in juju-db's data directory).
    reporter.phase({ phase: 'checking', message: 'Checking free disk space…' });
    const data = await retryMongo(() => session.withMongo((c) => dataBytes(c)), signal);
    const needed = estimateArchiveBytes(data);
    const targetDir = input.keepLocal ? input.folder : deps.tempRoot;
    await mkdir(targetDir, { recursive: true, mode: 0o700 });
    const local = await statfs(targetDir);
    const localFree = Number(local.bavail) * Number(local.bsize);
    if (localFree < needed) {
      throw new QuorumError('insufficient-space', `${targetDir} has ${mib(localFree)} free but the backup may need about ${mib(needed)}. Free some space or choose another folder.`);
    }
    const df = await session.run({ kind: 'free-space', path: info.datadir || '/var/lib/juju' }, { signal });
    const remoteFree = parseDfAvailable(df.toString('utf8'));
    if (remoteFree < needed) {
      throw new QuorumError('insufficient-space', `Machine ${choice.machineId} has ${mib(remoteFree)} free for juju-db but storing the backup may need about ${mib(needed)}. Remove old backups from the server, then try again.`);
    }

    const started = new Date();
    const id = backupIdFor(started, environment);
    const filename = input.filename ?? defaultBackupFilename(started);
    const finalPath = path.join(targetDir, filename);
    if (!input.keepLocal) tempFile = finalPath;
    // Refuses a duplicate ID before anything is written; the archive is stored once complete.
    const primary = await deps.primary();
    const store = new ServerBackupStore(await primary.mongo(), environment);
    upload = await store.beginUpload(id);
    const uploading = upload.archive;
    writer = await TarGzFileWriter.create({ finalPath, mtime: started, level: BACKUP_GZIP_LEVEL, ...deps.gzip });
    const w = writer;
    const abortWriter = (): void => void w.abort(new QuorumError('cancelled', 'The backup was cancelled; nothing was kept.'));
    signal.addEventListener('abort', abortWriter, { once: true });

    await w.addDirectory(CONTENT_DIR);
    await w.addBuffer(
      METADATA_ENTRY,
      Buffer.from(archiveMetadataJson({ started: started.toISOString(), notes: input.notes, environment, machine: choice.machineId, hostname, version })),
    );

    // root.tar: the 1.25 file list, straight from the remote tar.
    reporter.phase({ phase: 'collecting-files', message: `Collecting files from machine ${choice.machineId}…` });
    const sources = rootTarSources(choice.machineId);
    const paths: string[] = [];
    for (const p of sources.required) {
      const found = (await session.run({ kind: 'glob', pattern: p }, { signal })).toString('utf8').trim();
      if (!found) throw new QuorumError('remote-command-failed', `${p} is missing on machine ${choice.machineId}; a backup without it could not be restored. Check the machine's Juju installation.`);
      paths.push(p);
    }
    for (const g of sources.globs) {
      const found = (await session.run({ kind: 'glob', pattern: g }, { signal })).toString('utf8').split('\n').filter(Boolean);
      paths.push(...found);
    }
    for (const p of sources.optional) {
      const found = (await session.run({ kind: 'glob', pattern: p }, { signal })).toString('utf8').trim();
      if (found) paths.push(p);
      else ctx.log(`${p} is missing on machine ${choice.machineId}; skipped as Juju does.`, 'warning');
    }
    const rootEntry = await w.openEntry(ROOT_TAR_ENTRY, { mode: 0o600 });
    const tarOut = await session.exec({ kind: 'tar-out', paths }, { signal });
    await new Promise<void>((resolve, reject) => {
      tarOut.stdout.on('error', reject);
      rootEntry.on('error', reject);
      tarOut.stdout.pipe(rootEntry);
      rootEntry.on('finish', () => resolve());
    });
    const exit = await tarOut.exit;
    if (exit.code !== 0) throw new QuorumError('remote-command-failed', `Collecting files on machine ${choice.machineId} failed: ${exit.stderr.trim() || `tar exited with ${exit.code}`}.`);

    // The dump.
    await w.addDirectory(DUMP_DIR);
    const dump = await session.withMongo((c) =>
      dumpToArchive(c, w, {
        signal,
        onProgress: (p) =>
          reporter.phase({ phase: 'dumping', message: `Dumping collection ${p.collection} of ${p.collections} (${p.namespace})`, step: p.collection, steps: p.collections }),
      }),
    );
    ctx.log(`Dumped ${dump.collections.length} collections and ${dump.oplogEntries} oplog entries.`);

    reporter.phase({ phase: 'compressing', message: 'Compressing the last blocks…' });
    const written = await w.finish();
    signal.removeEventListener('abort', abortWriter);
    signal.throwIfAborted();
    deps.onLocalArchive?.(written.path, written.checksum);

    const finished = new Date();
    const metadata: BackupMetadata = {
      id,
      checksum: written.checksum,
      checksumFormat: CHECKSUM_FORMAT,
      size: written.size,
      stored: null,
      started: started.toISOString(),
      finished: finished.toISOString(),
      notes: input.notes,
      environment,
      machine: choice.machineId,
      hostname,
      version,
    };

    counted = () => uploading.length;
    reporter.phase({ phase: 'storing', message: 'Storing the archive on the state server…', totalBytes: written.size });
    await feedUpload(uploading, createReadStream(written.path, { highWaterMark: 1024 * 1024 }), signal);
    reporter.phase({ phase: 'storing', message: 'Storing the backup metadata on the state server…', totalBytes: written.size });
    reporter.stop();
    const stored = await upload.commit(metadata, signal);
    upload = null;
    if (!input.keepLocal) {
      await rm(written.path, { force: true });
      tempFile = null;
    }
    ctx.log(`Backup ${id} stored (${written.size} bytes).`);
    return { metadata: stored, localPath: input.keepLocal ? written.path : null, warning: input.keepLocal ? null : NO_DOWNLOAD_WARNING };
  } catch (error) {
    await writer?.abort(error).catch(() => undefined);
    await upload?.abort().catch(() => undefined);
    // Nothing stays under the final name when the backup as a whole failed (even if the file was complete).
    if (writer) await rm(writer.finalPath, { force: true }).catch(() => undefined);
    if (tempFile) await rm(tempFile, { force: true }).catch(() => undefined);
    if (signal.aborted) throw new QuorumError('cancelled', 'The backup was cancelled; no archive was kept and nothing was stored on the server.');
    if (writer && !(error instanceof QuorumError) && typeof (error as NodeJS.ErrnoException | null)?.code === 'string') {
      throw writeFailure(error, writer.finalPath);
    }
    if (!(error instanceof QuorumError) && upload !== null) {
      throw new QuorumError('mongo-unavailable', `Storing the backup on the state server failed (${(error as Error).message}). Nothing was kept; try again.`, { cause: error });
    }
    throw error;
  } finally {
    reporter.stop();
  }
}
