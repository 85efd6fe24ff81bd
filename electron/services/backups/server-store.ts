import { Long, type Document } from 'bson';
import { addAbortSignal, type Readable } from 'node:stream';
import { CHECKSUM_FORMAT, type BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import { JujuDbServerError, type JujuDbClient, type Namespace } from '../mongo/juju-db-client';
import { bsonNumber } from './bson-values';
import { deleteFile, findFileByName, findFilesByName, openDownloadStream, type GridFsBucket } from './gridfs';
import { DEFAULT_CHUNK_SIZE, GridFsArchiveUpload } from './gridfs-upload';

/**
 * Backups stored on the state server the way Juju 1.25 stores them: the
 * `backups.metadata` collection (`_id` = backup ID, Juju's lower-case bson
 * fields, times in Unix seconds) and the archive in GridFS in the `backups`
 * database with the bucket named after the environment UUID. Everything
 * goes through `JujuDbClient`, so it works on MongoDB 2.4 (Juju 1.25's
 * juju-db) as on modern servers; GridFS is `gridfs.ts`.
 */

export const BACKUPS_DB = 'backups';
export const METADATA_COLLECTION = 'metadata';

/** GridFS file name of an archive (Juju's managed path is `backups/<ID>`). */
export function gridFilename(id: string): string {
  return `backups/${id}`;
}

function seconds(iso: string | null): Long {
  return Long.fromNumber(iso === null ? 0 : Math.floor(new Date(iso).getTime() / 1000));
}

function fromSeconds(value: unknown): string | null {
  const n = bsonNumber(value) ?? 0;
  return n > 0 ? new Date(n * 1000).toISOString() : null;
}

/** The `backups.metadata` document for a backup (notes omitted when empty, as Juju does). */
export function metadataDocument(m: BackupMetadata): Document {
  const doc: Document = {
    _id: m.id,
    checksum: m.checksum,
    checksumformat: m.checksumFormat,
    size: Long.fromNumber(m.size),
    stored: seconds(m.stored),
    started: seconds(m.started),
    finished: seconds(m.finished),
  };
  if (m.notes !== '') doc.notes = m.notes;
  doc.environment = m.environment;
  doc.machine = m.machine;
  doc.hostname = m.hostname;
  doc.version = m.version;
  return doc;
}

/** Reads a `backups.metadata` document back (1-second precision, as the API returns it). */
export function parseMetadataDocument(doc: Document): BackupMetadata {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const size = bsonNumber(doc.size) ?? 0;
  return {
    id: str(doc._id),
    checksum: str(doc.checksum),
    checksumFormat: str(doc.checksumformat) || CHECKSUM_FORMAT,
    size,
    stored: fromSeconds(doc.stored),
    started: fromSeconds(doc.started),
    finished: fromSeconds(doc.finished),
    notes: str(doc.notes),
    environment: str(doc.environment),
    machine: str(doc.machine),
    hostname: str(doc.hostname),
    version: str(doc.version),
  };
}

/**
 * Feeds a complete archive's bytes into an upload (not ended). A cancel
 * destroys the source and rejects; the caller aborts the upload.
 */
export async function feedUpload(upload: GridFsArchiveUpload, archive: Readable, signal?: AbortSignal): Promise<void> {
  try {
    signal?.throwIfAborted();
    // A cancel destroys the source with an AbortError, which ends the loop below.
    if (signal) addAbortSignal(signal, archive);
    for await (const chunk of archive) {
      await upload.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    }
    signal?.throwIfAborted();
  } catch (error) {
    archive.destroy();
    throw error;
  }
}

/** An archive upload under way: feed `archive`, then `commit` the metadata, or `abort`. */
export interface ServerUpload {
  readonly archive: GridFsArchiveUpload;
  commit(meta: BackupMetadata, signal?: AbortSignal): Promise<BackupMetadata>;
  abort(): Promise<void>;
}

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  if (error instanceof JujuDbServerError) return error.code === DUPLICATE_KEY || error.code === 11001;
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

export class ServerBackupStore {
  readonly #client: JujuDbClient;
  readonly #bucket: GridFsBucket;
  readonly #metadata: Namespace = { db: BACKUPS_DB, collection: METADATA_COLLECTION };

  constructor(client: JujuDbClient, environmentUuid: string) {
    this.#client = client;
    this.#bucket = { client, db: BACKUPS_DB, bucketName: environmentUuid };
  }

  async list(): Promise<BackupMetadata[]> {
    const docs = await this.#client.find(this.#metadata, {}, { sort: { _id: 1 } }).toArray();
    return docs.map(parseMetadataDocument);
  }

  async get(id: string): Promise<BackupMetadata | null> {
    const doc = await this.#client.findOne(this.#metadata, { _id: id });
    return doc ? parseMetadataDocument(doc) : null;
  }

  /**
   * Starts storing an archive: feed its bytes to `archive`, then `commit`
   * the metadata (it completes the GridFS file first if `archive.end()` was
   * not awaited yet), or `abort` to leave nothing behind (no chunks, no files
   * document, no metadata). A duplicate ID is refused before anything is
   * written, as Juju refuses it, so a backup can check it before it starts.
   */
  async beginUpload(id: string): Promise<ServerUpload> {
    if (await this.get(id)) {
      throw new QuorumError('conflict', `backup metadata "${id}" already exists on the state server. Remove it there first if you mean to replace it.`);
    }
    // Leftovers of an upload that never got its metadata (Juju would overwrite them too).
    for (const stale of await findFilesByName(this.#bucket, gridFilename(id))) await deleteFile(this.#bucket, stale._id);
    const archive = new GridFsArchiveUpload({
      bucket: this.#bucket,
      filename: gridFilename(id),
      metadata: { backupId: id },
      chunkSizeBytes: DEFAULT_CHUNK_SIZE,
    });
    const abort = async (): Promise<void> => {
      await archive.abort().catch(() => undefined);
    };
    const commit = async (meta: BackupMetadata, signal?: AbortSignal): Promise<BackupMetadata> => {
      const stored: BackupMetadata = { ...meta, stored: new Date().toISOString() };
      try {
        signal?.throwIfAborted();
        await archive.end();
        signal?.throwIfAborted();
        await this.#client.insert(this.#metadata, [metadataDocument(stored)], { ordered: true });
      } catch (error) {
        await abort();
        if (isDuplicateKey(error)) {
          throw new QuorumError('conflict', `backup metadata "${meta.id}" already exists on the state server.`);
        }
        throw error;
      }
      return (await this.get(meta.id)) ?? stored;
    };
    return { archive, commit, abort };
  }

  /** Stores a complete archive then its metadata (upload of a local file). */
  async store(meta: BackupMetadata, archive: Readable, signal?: AbortSignal): Promise<BackupMetadata> {
    const upload = await this.beginUpload(meta.id);
    try {
      await feedUpload(upload.archive, archive, signal);
      await upload.archive.end();
    } catch (error) {
      await upload.abort();
      throw error;
    }
    return upload.commit(meta, signal);
  }

  /** The archive's bytes from GridFS; `not-found` when the server has no such archive. */
  async open(id: string): Promise<Readable> {
    const file = await findFileByName(this.#bucket, gridFilename(id));
    if (file === null) throw new QuorumError('not-found', `The state server holds no archive for backup ${id}. Refresh the list.`);
    return openDownloadStream(this.#bucket, file);
  }

  /** Removes the metadata and the archive (`juju backups remove`). */
  async remove(id: string): Promise<void> {
    const meta = await this.get(id);
    const files = await findFilesByName(this.#bucket, gridFilename(id));
    if (!meta && files.length === 0) throw new QuorumError('not-found', `No backup ${id} on the state server. Refresh the list.`);
    await this.#client.remove(this.#metadata, { _id: id }, { justOne: true });
    for (const file of files) await deleteFile(this.#bucket, file._id);
  }
}
