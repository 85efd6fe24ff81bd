import crypto from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { defaultBackupFilename, downloadFilenameFor, NO_DOWNLOAD_WARNING, type BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import type { BackupInfo, BackupListItem, BackupPlan, ChecksumState } from '../../../shared/ipc/channels/backups';
import { hostOnly } from '../../../shared/model/replica-set';
import { checksumFile, inspectArchive } from '../archive/archive-reader';
import type { EnvironmentConnection } from '../connection/environment-connection';
import type { StateServerSession } from '../connection/state-server-session';
import type { Logger } from '../log';
import type { OperationContext, OperationManager } from '../operations/operation-manager';
import { createBackup, retryMongo, type CreateBackupInput, type GzipTuning } from './create-backup';
import { LocalLibrary } from './local-library';
import { readFromFirstAnswering } from './any-state-server';
import { chooseInitialStateServer, readReplicaSet, stateServerChoices } from './readiness';
import { ServerBackupStore } from './server-store';
import { streamToFile } from './stream-to-file';
import { countingReadStream } from './progress';

/**
 * Backups for the open environment: plan and create (an operation), and the
 * archive list merging what the state server stores with the local folder,
 * plus info, verify, download, upload, remove and delete. No Electron here:
 * revealing a file is a function the Electron host passes in.
 */

export interface BackupsServiceOptions {
  readonly home: string;
  readonly operations: OperationManager;
  /** Opens (or returns the open) connection to an environment. */
  connection(environmentId: string): Promise<EnvironmentConnection>;
  readonly emitChanged: (environmentId: string) => void;
  readonly log: Logger;
  /** Electron's `shell.showItemInFolder`; absent in browser mode. */
  readonly reveal?: (file: string) => Promise<void> | void;
  readonly gzip?: GzipTuning;
  readonly readiness?: { readonly timeoutMs?: number; readonly pollMs?: number };
}

export interface BackupsService {
  readonly library: LocalLibrary;
  plan(environmentId: string): Promise<BackupPlan>;
  create(environmentId: string, input: Omit<CreateBackupInput, 'folder'> & { folder?: string | undefined }): Promise<{ operationId: string }>;
  list(environmentId: string, folder?: string): Promise<{ folder: string; items: BackupListItem[]; invalid: Array<{ localPath: string; reason: string }>; serverError: QuorumError | null }>;
  info(environmentId: string, ref: BackupRef): Promise<BackupInfo>;
  verify(environmentId: string, ref: BackupRef): { operationId: string };
  download(environmentId: string, id: string, folder?: string, filename?: string): { operationId: string };
  upload(environmentId: string, localPath: string): { operationId: string };
  remove(environmentId: string, id: string): Promise<void>;
  deleteLocal(localPath: string): Promise<string>;
  /** The environment's UUID as its state servers' agent.conf names it (what archives' metadata records). */
  environmentUuid(environmentId: string): Promise<string>;
  reveal(localPath: string): Promise<{ available: boolean; message: string }>;
}

export type BackupRef = { readonly id: string } | { readonly localPath: string };

async function firstConnected(env: EnvironmentConnection): Promise<StateServerSession> {
  const connected = env.connectedSessions();
  if (connected.length > 0) return connected[0]!;
  let last: unknown = null;
  for (const s of env.target.stateServers) {
    try {
      return await env.stateServer(s.address);
    } catch (error) {
      last = error;
    }
  }
  throw last instanceof QuorumError ? last : new QuorumError('host-unreachable', 'No state server of this environment can be reached. Check the Topology page.');
}

/** The primary's session: backups are written there (metadata and GridFS). */
async function primarySession(env: EnvironmentConnection): Promise<StateServerSession> {
  const any = await firstConnected(env);
  const view = await retryMongo(() => any.withMongo((c) => readReplicaSet(c)));
  const primary = view.status.members.find((m) => m.state === 'PRIMARY');
  if (!primary) throw new QuorumError('quorum-lost', 'The replica set has no primary, so nothing can be stored or removed on the server. Check the Topology page.');
  return env.stateServer(hostOnly(primary.name));
}

function environmentUuid(session: StateServerSession): string {
  const uuid = session.agentConf?.environmentUuid;
  if (!uuid) throw new QuorumError('agent-conf-unreadable', `agent.conf on ${session.address} names no environment.`);
  return uuid;
}

export function createBackupsService(options: BackupsServiceOptions): BackupsService {
  const library = new LocalLibrary(options.home);
  const tempRoot = path.join(options.home, 'tmp');
  const log = options.log.child('backups');
  /** Server-side verification results by backup ID + checksum. */
  const serverVerified = new Map<string, ChecksumState>();

  /**
   * Runs `fn` with the server's backup store on a connected state server (the
   * primary when it writes); whatever juju-db throws meanwhile comes back as
   * an operator-facing error (`withMongo`).
   */
  const withStore = async <T>(env: EnvironmentConnection, write: boolean, fn: (store: ServerBackupStore) => Promise<T>): Promise<T> => {
    const session = write ? await primarySession(env) : await firstConnected(env);
    return session.withMongo((client) => fn(new ServerBackupStore(client, environmentUuid(session))));
  };

  const checksumState = (expected: string | null, actual: string | null): ChecksumState => {
    if (expected === null || actual === null) return 'unverified';
    return expected === actual ? 'verified' : 'mismatch';
  };

  const findLocal = async (environmentId: string, id: string): Promise<string | null> => {
    const listed = await service.list(environmentId);
    return listed.items.find((i) => i.id === id)?.localPath ?? null;
  };

  const service: BackupsService = {
    library,

    async plan(environmentId) {
      const env = await options.connection(environmentId);
      // Once per state server, all at once, first answer wins: the page shows the reason at once.
      const view = await readFromFirstAnswering(env, (s) => s.withMongo((c) => readReplicaSet(c)));
      const machines = stateServerChoices(view);
      return {
        machines,
        suggestedMachineId: chooseInitialStateServer(machines)?.machineId ?? null,
        defaultFolder: library.defaultFolder,
        defaultFilename: defaultBackupFilename(new Date()),
        noDownloadWarning: NO_DOWNLOAD_WARNING,
      };
    },

    async create(environmentId, input) {
      const env = await options.connection(environmentId);
      const folder = await library.useFolder(input.folder);
      await mkdir(tempRoot, { recursive: true, mode: 0o700 });
      return options.operations.start(
        'backup.create',
        { environmentId, title: 'Create backup', exclusiveKey: `backup:${environmentId}`, initialProgress: { phase: 'checking', message: 'Checking the replica set…' } },
        async (ctx: OperationContext) => {
          try {
            const result = await createBackup(
              ctx,
              {
                session: (address) => env.stateServer(address),
                primary: () => primarySession(env),
                sessions: async () => {
                  await firstConnected(env);
                  return [...env.connectedSessions(), ...env.sessions().filter((x) => x.state !== 'connected')];
                },
                tempRoot,
                logger: log,
                ...(options.gzip ? { gzip: options.gzip } : {}),
                ...(options.readiness ? { readiness: options.readiness } : {}),
                onLocalArchive: (file, checksum) => {
                  if (input.keepLocal) void library.recordChecksum(file, checksum).catch(() => undefined);
                },
              },
              { ...input, folder },
            );
            if (result.metadata) serverVerified.set(`${result.metadata.id}:${result.metadata.checksum}`, 'verified');
            return result;
          } finally {
            options.emitChanged(environmentId);
          }
        },
      );
    },

    async list(environmentId, folder) {
      const env = await options.connection(environmentId);
      const dir = await library.useFolder(folder);
      const local = await library.scan(dir);
      let server: BackupMetadata[] = [];
      let serverError: QuorumError | null = null;
      try {
        server = await readFromFirstAnswering(env, (session) => session.withMongo((client) => new ServerBackupStore(client, environmentUuid(session)).list()));
      } catch (error) {
        serverError = error instanceof QuorumError ? error : new QuorumError('mongo-unavailable', 'The state server\'s backup list could not be read; local archives are still shown.', { cause: error });
      }
      const items: BackupListItem[] = [];
      const localById = new Map(local.archives.map((a) => [a.metadata.id, a] as const));
      for (const m of server) {
        const l = localById.get(m.id);
        localById.delete(m.id);
        if (l) {
          const actual = await library.knownChecksum(l.localPath);
          items.push({ id: m.id, location: 'both', metadata: m, localPath: l.localPath, checksumState: checksumState(m.checksum, actual) });
        } else {
          items.push({ id: m.id, location: 'server', metadata: m, localPath: null, checksumState: serverVerified.get(`${m.id}:${m.checksum}`) ?? 'unverified' });
        }
      }
      for (const l of localById.values()) {
        const actual = await library.knownChecksum(l.localPath);
        items.push({
          id: l.metadata.id,
          location: 'local',
          metadata: { ...l.metadata, checksum: actual ?? '' },
          localPath: l.localPath,
          checksumState: actual === null ? 'unverified' : 'verified',
        });
      }
      items.sort((a, b) => (b.metadata.started ?? '').localeCompare(a.metadata.started ?? ''));
      return { folder: dir, items, invalid: local.invalid, serverError };
    },

    async info(environmentId, ref) {
      const env = await options.connection(environmentId);
      if ('localPath' in ref) {
        const file = library.assertManaged(ref.localPath);
        const inspection = await inspectArchive(file);
        await library.recordChecksum(file, inspection.checksum);
        let onServer: BackupMetadata | null = null;
        try {
          onServer = await withStore(env, false, (s) => s.get(inspection.metadata.id));
        } catch {
          onServer = null;
        }
        return {
          metadata: onServer ?? inspection.metadata,
          location: onServer ? 'both' : 'local',
          localPath: file,
          contents: {
            databases: inspection.databases.map((d) => ({ name: d.name, collections: d.collections.length, bytes: d.collections.reduce((n, c) => n + c.bsonBytes, 0) })),
            rootTarMembers: inspection.rootTar.memberCount,
            hasOplog: inspection.oplogBytes !== null,
          },
        };
      }
      const m = await withStore(env, false, (s) => s.get(ref.id));
      if (!m) throw new QuorumError('not-found', `No backup ${ref.id} on the state server. Refresh the list.`);
      const localPath = await findLocal(environmentId, ref.id);
      return { metadata: m, location: localPath ? 'both' : 'server', localPath, contents: null };
    },

    verify(environmentId, ref) {
      return options.operations.start('backup.verify', { environmentId, title: 'Verify backup checksum' }, async (ctx) => {
        const env = await options.connection(environmentId);
        try {
          if ('localPath' in ref) {
            const file = library.assertManaged(ref.localPath);
            const inspection = await inspectArchive(file, {
              signal: ctx.signal,
              onProgress: (bytes, total) => ctx.progress({ phase: 'verifying', message: `Reading ${path.basename(file)}…`, bytes, totalBytes: total, fraction: total ? bytes / total : 1 }),
            });
            let expected: string | null = null;
            try {
              expected = (await withStore(env, false, (s) => s.get(inspection.metadata.id)))?.checksum ?? null;
            } catch {
              expected = null;
            }
            const state = checksumState(expected ?? inspection.checksum, inspection.checksum);
            if (state === 'verified') await library.recordChecksum(file, inspection.checksum);
            else await library.forget(file);
            return { state, checksum: inspection.checksum, expected };
          }
          const { m, actual } = await withStore(env, false, async (s) => {
            const m = await s.get(ref.id);
            if (!m) throw new QuorumError('not-found', `No backup ${ref.id} on the state server. Refresh the list.`);
            const hash = crypto.createHash('sha1');
            let bytes = 0;
            await pipeline(
              await s.open(ref.id),
              new Transform({
                transform(chunk: Buffer, _e, cb) {
                  hash.update(chunk);
                  bytes += chunk.length;
                  ctx.progress({ phase: 'verifying', message: `Reading backup ${ref.id} from the server…`, bytes, totalBytes: m.size, fraction: m.size ? Math.min(1, bytes / m.size) : 1 });
                  cb();
                },
              }),
              { signal: ctx.signal },
            );
            return { m, actual: hash.digest('base64') };
          });
          const state = checksumState(m.checksum, actual);
          serverVerified.set(`${m.id}:${m.checksum}`, state);
          return { state, checksum: actual, expected: m.checksum };
        } finally {
          options.emitChanged(environmentId);
        }
      });
    },

    download(environmentId, id, folder, filename) {
      return options.operations.start('backup.download', { environmentId, title: `Download backup ${id}`, exclusiveKey: `download:${id}` }, async (ctx) => {
        const env = await options.connection(environmentId);
        try {
          const dir = await library.useFolder(folder);
          const written = await withStore(env, false, async (s) => {
            const m = await s.get(id);
            if (!m) throw new QuorumError('not-found', `No backup ${id} on the state server. Refresh the list.`);
            const target = path.join(dir, filename ?? downloadFilenameFor(id));
            return streamToFile(await s.open(id), target, {
              signal: ctx.signal,
              expectedChecksum: m.checksum,
              onProgress: (bytes) => ctx.progress({ phase: 'downloading', message: `Downloading ${id}…`, bytes, totalBytes: m.size, fraction: m.size ? Math.min(1, bytes / m.size) : 1 }),
            });
          });
          await library.recordChecksum(written.path, written.checksum);
          return { localPath: written.path, checksum: written.checksum };
        } finally {
          options.emitChanged(environmentId);
        }
      });
    },

    upload(environmentId, localPath) {
      const file = library.assertManaged(localPath);
      return options.operations.start('backup.upload', { environmentId, title: `Upload ${path.basename(file)}` }, async (ctx) => {
        const env = await options.connection(environmentId);
        try {
          ctx.progress({ phase: 'verifying', message: `Checking ${path.basename(file)}…` });
          const inspection = await inspectArchive(file, {
            signal: ctx.signal,
            onProgress: (bytes, total) => ctx.progress({ phase: 'verifying', message: `Checking ${path.basename(file)}…`, bytes, totalBytes: total }),
          });
          if (!inspection.metadata.id) throw new QuorumError('archive-invalid', `${path.basename(file)} has no start time in metadata.json, so it has no backup ID.`);
          const source = countingReadStream(file, (sent) =>
            ctx.progress({ phase: 'storing', message: `Uploading ${path.basename(file)}…`, bytes: sent, totalBytes: inspection.size, fraction: inspection.size ? sent / inspection.size : 1 }),
          );
          // A file that changed since the inspection is caught by the size/checksum recorded from that pass.
          const stored = await withStore(env, true, (s) => s.store(inspection.metadata, source, ctx.signal));
          await library.recordChecksum(file, inspection.checksum);
          serverVerified.set(`${stored.id}:${stored.checksum}`, 'verified');
          return { metadata: stored };
        } finally {
          options.emitChanged(environmentId);
        }
      });
    },

    async remove(environmentId, id) {
      const env = await options.connection(environmentId);
      await withStore(env, true, (s) => s.remove(id));
      log.info(`removed backup ${id} from the server`);
      options.emitChanged(environmentId);
    },

    async deleteLocal(localPath) {
      const file = await library.delete(localPath);
      log.info(`deleted local archive ${file}`);
      return file;
    },

    async environmentUuid(environmentId) {
      return environmentUuid(await firstConnected(await options.connection(environmentId)));
    },

    async reveal(localPath) {
      const file = library.assertManaged(localPath);
      if (!options.reveal) {
        return { available: false, message: `Revealing files needs the desktop app. The archive is at ${file}.` };
      }
      await options.reveal(file);
      return { available: true, message: `Showing ${path.basename(file)} in its folder.` };
    },
  };
  return service;
}

export { checksumFile };
