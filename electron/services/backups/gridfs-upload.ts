import { ObjectId, type Document } from 'bson';
import { QuorumError } from '../../../shared/errors';
import type { Namespace } from '../mongo/juju-db-client';
import { chunksNamespace, ensureGridFsIndexes, filesNamespace, type GridFsBucket } from './gridfs';

/**
 * A GridFS upload of an archive over `JujuDbClient` (MongoDB 2.4 through
 * the legacy client: OP_INSERT + getLastError; modern servers through the
 * driver), writing the same documents as the driver's
 * `GridFSBucketWriteStream` so the driver, Juju and `gridfs.ts` read the
 * file back: chunks `{ _id, files_id, n, data }` of `chunkSizeBytes` (the
 * last one shorter), then the files document
 * `{ _id, length, chunkSize, uploadDate, filename, metadata }` once every
 * chunk is in. Unlike the driver's stream, which sends one chunk per round
 * trip, chunks go `batchChunks` per ordered insert with up to `maxInFlight`
 * batches at a time; `write` waits while that many are in flight (the
 * backpressure).
 */

export interface GridFsArchiveUploadOptions {
  /** The client, database and bucket name (`<bucket>.files`, `<bucket>.chunks`). */
  readonly bucket: GridFsBucket;
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

export class GridFsArchiveUpload {
  /** The files document's `_id` (the chunks' `files_id`). */
  readonly id = new ObjectId();
  readonly #bucket: GridFsBucket;
  readonly #files: Namespace;
  readonly #chunks: Namespace;
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
    this.#bucket = options.bucket;
    this.#files = filesNamespace(options.bucket);
    this.#chunks = chunksNamespace(options.bucket);
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
    const client = this.#bucket.client;
    await client.remove(this.#chunks, { files_id: this.id });
    if (this.#filesInsertStarted) await client.remove(this.#files, { _id: this.id }, { justOne: true });
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
    await this.#track(this.#ensureIndexes().then(() => this.#bucket.client.insert(this.#files, [filesDoc], { ordered: true })));
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
          .then(() => this.#bucket.client.insert(this.#chunks, batch, { ordered: true }))
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
   * The driver's checkIndexes (see `ensureGridFsIndexes`), once per upload.
   * Like the driver, a failure here does not fail the upload.
   */
  #ensureIndexes(): Promise<void> {
    this.#indexes ??= ensureGridFsIndexes(this.#bucket).catch(() => undefined);
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
