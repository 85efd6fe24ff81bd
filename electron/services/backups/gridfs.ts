import type { Document } from 'bson';
import { Readable } from 'node:stream';
import type { JujuDbClient, Namespace, OperationOptions } from '../mongo/juju-db-client';
import { bsonNumber, bsonBytes } from './bson-values';

/**
 * GridFS over `JujuDbClient`, for the one bucket backups use (Juju's
 * `backups` database, bucket `<environment-uuid>`): the driver's
 * `GridFSBucket` only exists on the official driver, which MongoDB 2.4 (what
 * Juju 1.25 runs) refuses. The documents are the ones the driver's GridFS
 * writes and reads (GridFS spec), so Juju (mgo), the driver and this module
 * read one another's files:
 *
 * - files `{ _id, length, chunkSize, uploadDate, filename, metadata? }`;
 * - chunks `{ _id, files_id, n, data }`, every chunk `chunkSize` bytes but
 *   the last;
 * - indexes `{ filename: 1, uploadDate: 1 }` on files and the unique
 *   `{ files_id: 1, n: 1 }` on chunks, created by the first upload into an
 *   empty bucket (as the driver's `checkIndexes`).
 *
 * Reads stream the chunks in `n` order through a cursor, a few chunks per
 * batch, so memory stays flat whatever the file's size.
 */

export interface GridFsBucket {
  readonly client: JujuDbClient;
  readonly db: string;
  /** `<bucketName>.files` and `<bucketName>.chunks`. */
  readonly bucketName: string;
}

export interface GridFsFile {
  readonly _id: unknown;
  readonly length: number;
  readonly chunkSize: number;
  readonly filename: string;
  readonly uploadDate: Date | null;
  readonly metadata?: Document;
}

export function filesNamespace(bucket: GridFsBucket): Namespace {
  return { db: bucket.db, collection: `${bucket.bucketName}.files` };
}

export function chunksNamespace(bucket: GridFsBucket): Namespace {
  return { db: bucket.db, collection: `${bucket.bucketName}.chunks` };
}

/** A stored file whose chunks do not add up to its files document (missing, extra or wrongly sized chunks). */
export class GridFsCorruptFileError extends Error {
  override readonly name = 'GridFsCorruptFileError';
}

function asFile(doc: Document): GridFsFile {
  return {
    _id: doc._id,
    length: bsonNumber(doc.length) ?? 0,
    chunkSize: bsonNumber(doc.chunkSize) ?? 0,
    filename: typeof doc.filename === 'string' ? doc.filename : '',
    uploadDate: doc.uploadDate instanceof Date ? doc.uploadDate : null,
    ...(doc.metadata !== undefined && doc.metadata !== null ? { metadata: doc.metadata as Document } : {}),
  };
}

/** The newest file named `filename` (the driver's `openDownloadStreamByName` default revision), or null. */
export async function findFileByName(bucket: GridFsBucket, filename: string, options?: OperationOptions): Promise<GridFsFile | null> {
  const doc = await bucket.client.findOne(filesNamespace(bucket), { filename }, { ...options, sort: { uploadDate: -1 } });
  return doc ? asFile(doc) : null;
}

/** Every file named `filename` (all revisions), oldest first. */
export async function findFilesByName(bucket: GridFsBucket, filename: string, options?: OperationOptions): Promise<GridFsFile[]> {
  const docs = await bucket.client.find(filesNamespace(bucket), { filename }, { ...options, sort: { uploadDate: 1 } }).toArray();
  return docs.map(asFile);
}

/** Chunks per reply when streaming a file: about 2 MiB at the default chunk size. */
const CHUNKS_PER_BATCH = 8;

/**
 * The file's bytes, chunk by chunk in `n` order, checked as the driver
 * checks them (every `n` present once, each chunk of the expected size, the
 * total equal to `length`); a mismatch fails the stream with
 * `GridFsCorruptFileError`. Destroying the stream closes the cursor.
 */
export function openDownloadStream(bucket: GridFsBucket, file: GridFsFile, options?: OperationOptions): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    if (file.length === 0) return;
    if (file.chunkSize <= 0) throw new GridFsCorruptFileError(`GridFS file ${file.filename} has no valid chunkSize.`);
    const expectedChunks = Math.ceil(file.length / file.chunkSize);
    const cursor = bucket.client.find(chunksNamespace(bucket), { files_id: file._id }, { ...options, sort: { n: 1 }, batchSize: CHUNKS_PER_BATCH });
    let expected = 0;
    let bytes = 0;
    try {
      for (;;) {
        const chunk = await cursor.next();
        if (chunk === null) break;
        const n = bsonNumber(chunk.n);
        if (n !== expected) {
          throw new GridFsCorruptFileError(n !== null && n > expected ? `GridFS file ${file.filename}: chunk ${expected} is missing.` : `GridFS file ${file.filename}: unexpected chunk n=${String(n)} (expected ${expected}).`);
        }
        if (n >= expectedChunks) throw new GridFsCorruptFileError(`GridFS file ${file.filename}: extra chunk ${n} past the file's length.`);
        const data = bsonBytes(chunk.data);
        if (data === null) throw new GridFsCorruptFileError(`GridFS file ${file.filename}: chunk ${n} has no binary data.`);
        const size = n === expectedChunks - 1 ? file.length - n * file.chunkSize : file.chunkSize;
        if (data.length !== size) throw new GridFsCorruptFileError(`GridFS file ${file.filename}: chunk ${n} is ${data.length} bytes, expected ${size}.`);
        expected += 1;
        bytes += data.length;
        yield data;
      }
    } finally {
      await cursor.close();
    }
    if (expected !== expectedChunks || bytes !== file.length) {
      throw new GridFsCorruptFileError(`GridFS file ${file.filename}: chunk ${expected} is missing (${bytes} of ${file.length} bytes stored).`);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
}

/** Removes a file: its chunks first, then its files document (so a half-deleted file is never readable as whole). */
export async function deleteFile(bucket: GridFsBucket, id: unknown, options?: OperationOptions): Promise<void> {
  await bucket.client.remove(chunksNamespace(bucket), { files_id: id }, options);
  await bucket.client.remove(filesNamespace(bucket), { _id: id }, { ...options, justOne: true });
}

function isIndexOn(key: unknown, a: string, b: string): boolean {
  if (key === null || typeof key !== 'object') return false;
  const k = key as Document;
  return Object.keys(k).length === 2 && bsonNumber(k[a]) === 1 && bsonNumber(k[b]) === 1;
}

/**
 * The driver's `checkIndexes`: nothing to do when the files collection
 * already holds a document; otherwise `{ filename: 1, uploadDate: 1 }` on
 * files and the unique `{ files_id: 1, n: 1 }` on chunks, unless present.
 */
export async function ensureGridFsIndexes(bucket: GridFsBucket, options?: OperationOptions): Promise<void> {
  const { client } = bucket;
  if ((await client.findOne(filesNamespace(bucket), {}, { ...options, projection: { _id: 1 }, secondaryOk: false })) !== null) return;
  const filesIndexes = await client.listIndexes(filesNamespace(bucket), options);
  if (!filesIndexes.some((i) => isIndexOn(i.key, 'filename', 'uploadDate'))) {
    await client.createIndex(filesNamespace(bucket), { filename: 1, uploadDate: 1 }, {}, options);
  }
  const chunkIndexes = await client.listIndexes(chunksNamespace(bucket), options);
  if (!chunkIndexes.some((i) => isIndexOn(i.key, 'files_id', 'n'))) {
    await client.createIndex(chunksNamespace(bucket), { files_id: 1, n: 1 }, { unique: true }, options);
  }
}
