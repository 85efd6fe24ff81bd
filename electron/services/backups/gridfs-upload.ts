// ObjectId from the driver, not 'bson': under ESM+CJS the two can be distinct classes, and the chunks must carry the driver's own.
import { MongoError, ObjectId, type Collection, type Db, type Document } from 'mongodb';
import { QuorumError } from '../../../shared/errors';

/**
 * A GridFS upload of an archive, writing the same documents as the driver's
 * `GridFSBucketWriteStream` so `GridFSBucket.openDownloadStream` (and Juju)
 * read the file back: chunks `{ _id, files_id, n, data }` of
 * `chunkSizeBytes` (the last one shorter), then the files document
 * `{ _id, length, chunkSize, uploadDate, filename, metadata }` once every
 * chunk is in. Unlike the driver's stream, which sends one chunk per round
 * trip, chunks go `batchChunks` per `insertMany` with up to `maxInFlight`
 * batches at a time; `write` waits while that many are in flight (the
 * backpressure).
 */

export interface GridFsArchiveUploadOptions {
  readonly db: Db;
  /** GridFS bucket name (`<bucket>.files`, `<bucket>.chunks`). */
  readonly bucketName: string;
  readonly filename: string;
  readonly metadata?: Document;
  /** Default 255 KiB, the driver's default. */
  readonly chunkSizeBytes?: number;
  /** Chunks per insertMany; default 8. */
  readonly batchChunks?: number;
  /** Batches in flight before `write` waits; default 3. */
  readonly maxInFlight?: number;
}

export const DEFAULT_CHUNK_SIZE = 255 * 1024;

interface ChunkDoc {
  _id: ObjectId;
  files_id: ObjectId;
  n: number;
  data: Buffer;
}

/** The driver's isNamespaceNotFoundError (not exported): listIndexes on a collection that does not exist yet. */
function isNamespaceNotFound(error: unknown): boolean {
  return error instanceof MongoError && Number(error.code) === 26;
}

export class GridFsArchiveUpload {
  /** The files document's `_id` (the chunks' `files_id`). */
  readonly id = new ObjectId();
  readonly #files: Collection<Document>;
  readonly #chunks: Collection<Document>;
  readonly #filename: string;
  readonly #metadata: Document | undefined;
  readonly #chunkSize: number;
  readonly #batchChunks: number;
  readonly #maxInFlight: number;

  #length = 0;
  /** The chunk being filled (a fresh buffer per chunk) and how much of it is. */
  #chunk: Buffer | null = null;
  #pos = 0;
  /** Index of the chunk being filled; chunks below it are complete. */
  #n = 0;
  /** Chunks ready to insert, not yet sent. */
  #ready: ChunkDoc[] = [];
  #inFlight = 0;
  #insertedBatches = 0;
  /** Every server operation under way (settles without rejecting), for abort to wait on. */
  readonly #pending = new Set<Promise<void>>();
  #waiters: Array<() => void> = [];
  #indexes: Promise<void> | null = null;
  #error: Error | null = null;
  #ending = false;
  #end: Promise<void> | null = null;
  #filesInsertStarted = false;
  #aborted = false;
  #abort: Promise<void> | null = null;

  constructor(options: GridFsArchiveUploadOptions) {
    const chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_SIZE;
    const batchChunks = options.batchChunks ?? 8;
    const maxInFlight = options.maxInFlight ?? 3;
    for (const [name, value] of [['chunkSizeBytes', chunkSize], ['batchChunks', batchChunks], ['maxInFlight', maxInFlight]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`GridFsArchiveUpload: ${name} must be a positive integer, got ${value}`);
    }
    this.#files = options.db.collection(`${options.bucketName}.files`);
    this.#chunks = options.db.collection(`${options.bucketName}.chunks`);
    this.#filename = options.filename;
    this.#metadata = options.metadata;
    this.#chunkSize = chunkSize;
    this.#batchChunks = batchChunks;
    this.#maxInFlight = maxInFlight;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Chunk batches being inserted right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Chunk batches inserted so far. */
  get insertedBatches(): number {
    return this.#insertedBatches;
  }

  async write(data: Buffer): Promise<void> {
    this.#throwIfStopped();
    if (this.#ending) throw new Error('GridFsArchiveUpload: write() after end()');
    let from = 0;
    while (from < data.length) {
      if (this.#chunk === null) {
        // Fresh per chunk: a completed chunk's buffer goes to the driver and is never touched again.
        this.#chunk = Buffer.allocUnsafe(this.#chunkSize);
        this.#pos = 0;
      }
      const take = Math.min(this.#chunkSize - this.#pos, data.length - from);
      this.#chunk.set(data.subarray(from, from + take), this.#pos);
      this.#pos += take;
      from += take;
      this.#length += take;
      if (this.#pos === this.#chunkSize) this.#completeChunk();
    }
    this.#pump();
    await this.#until(() => this.#inFlight < this.#maxInFlight);
  }

  end(): Promise<void> {
    this.#end ??= this.#finish();
    return this.#end;
  }

  /**
   * Stops the upload and removes what it stored: waits for the inserts under
   * way to settle, then deletes every chunk of this file and its files
   * document. Safe to call twice, and after `end()`.
   */
  abort(): Promise<void> {
    this.#aborted = true;
    this.#ready = [];
    this.#chunk = null;
    this.#wake();
    this.#abort ??= this.#removeAll().catch((error: unknown) => {
      this.#abort = null; // a later abort() tries again
      throw error;
    });
    return this.#abort;
  }

  async #removeAll(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    await this.#chunks.deleteMany({ files_id: this.id });
    if (this.#filesInsertStarted) await this.#files.deleteOne({ _id: this.id });
  }

  async #finish(): Promise<void> {
    this.#throwIfStopped();
    this.#ending = true;
    if (this.#chunk !== null && this.#pos > 0) this.#completeChunk();
    this.#chunk = null;
    this.#pump();
    await this.#until(() => this.#inFlight === 0 && this.#ready.length === 0);
    const filesDoc: Document = { _id: this.id, length: this.#length, chunkSize: this.#chunkSize, uploadDate: new Date(), filename: this.#filename };
    if (this.#metadata) filesDoc.metadata = this.#metadata;
    this.#filesInsertStarted = true;
    await this.#track(this.#ensureIndexes().then(() => this.#files.insertOne(filesDoc)));
    this.#throwIfStopped();
  }

  /** Ends the chunk being filled (full, or the last one at end()). */
  #completeChunk(): void {
    const chunk = this.#chunk!;
    const data = this.#pos === this.#chunkSize ? chunk : chunk.subarray(0, this.#pos);
    this.#ready.push(this.#doc(this.#n, data));
    this.#n += 1;
    this.#chunk = null;
    this.#pos = 0;
  }

  #doc(n: number, data: Buffer): ChunkDoc {
    return { _id: new ObjectId(), files_id: this.id, n, data };
  }

  /** Starts batches while there is room: full ones, and at end() the remainder. */
  #pump(): void {
    while (this.#error === null && !this.#aborted && this.#inFlight < this.#maxInFlight) {
      if (this.#ready.length < (this.#ending ? 1 : this.#batchChunks)) return;
      const batch = this.#ready.splice(0, this.#batchChunks);
      this.#inFlight += 1;
      void this.#track(
        this.#ensureIndexes()
          .then(() => this.#chunks.insertMany(batch, { ordered: true }))
          .then(() => {
            this.#insertedBatches += 1;
          }),
      ).finally(() => {
        this.#inFlight -= 1;
        this.#pump();
        this.#wake();
      });
    }
  }

  /**
   * The driver's checkIndexes, once per upload: nothing to do when the files
   * collection has a document; otherwise `{ filename: 1, uploadDate: 1 }` on
   * files and the unique `{ files_id: 1, n: 1 }` on chunks, unless present.
   * Like the driver, a failure here does not fail the upload.
   */
  #ensureIndexes(): Promise<void> {
    this.#indexes ??= (async () => {
      if ((await this.#files.findOne({}, { projection: { _id: 1 } })) !== null) return;
      const keys = async (c: Collection<Document>): Promise<Document[]> => {
        try {
          return (await c.listIndexes().toArray()).map((i) => i.key as Document);
        } catch (error) {
          if (isNamespaceNotFound(error)) return [];
          throw error;
        }
      };
      const has = (list: Document[], a: string, b: string): boolean => list.some((k) => Object.keys(k).length === 2 && k[a] === 1 && k[b] === 1);
      if (!has(await keys(this.#files), 'filename', 'uploadDate')) await this.#files.createIndex({ filename: 1, uploadDate: 1 }, {});
      if (!has(await keys(this.#chunks), 'files_id', 'n')) await this.#chunks.createIndex({ files_id: 1, n: 1 }, { unique: true });
    })().catch(() => undefined);
    return this.#indexes;
  }

  /** Runs a server operation: its failure becomes the upload's error; abort() waits for it. */
  #track(operation: Promise<unknown>): Promise<void> {
    const settled = operation.then(
      () => undefined,
      (error: unknown) => {
        this.#error ??= error instanceof Error ? error : new Error(String(error));
      },
    );
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
    return settled;
  }

  #throwIfStopped(): void {
    if (this.#error) throw this.#error;
    if (this.#aborted) throw new QuorumError('cancelled', 'The archive upload to the state server was stopped; start the backup or upload again.');
  }

  /** Resolves once `ready()` holds; rejects as soon as an insert failed or the upload was aborted. */
  #until(ready: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        try {
          this.#throwIfStopped();
        } catch (error) {
          reject(error as Error);
          return;
        }
        if (ready()) resolve();
        else this.#waiters.push(check);
      };
      check();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
