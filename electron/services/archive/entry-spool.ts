import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

/**
 * Holds ONE tar entry whose size is not known until it ends (a collection
 * being dumped, the remote `root.tar`): in memory while it is small, in a
 * private temporary file (0600, in a 0700 directory) once it grows past the
 * threshold. The archive itself is never spooled, only this entry, and the
 * temporary file is unlinked as soon as it is opened for reading.
 */

export interface SpooledEntry {
  readonly size: number;
  /** True when the bytes went to a temporary file. */
  readonly spilled: boolean;
  /** The entry's bytes; call once. */
  open(): Readable;
  /** Releases memory or the temporary file (safe to call twice). */
  dispose(): Promise<void>;
}

export interface EntrySpoolOptions {
  /** Bytes kept in memory before spilling to disk (default 4 MiB). */
  readonly memoryThreshold?: number;
  /** Parent of the private temporary directory (default the OS temp dir). */
  readonly tempRoot?: string;
}

const WRITE_BATCH = 1024 * 1024;

export class EntrySpool extends Writable {
  readonly #threshold: number;
  readonly #tempRoot: string;
  #chunks: Buffer[] = [];
  #memoryBytes = 0;
  #size = 0;
  #dir: string | null = null;
  #file: FileHandle | null = null;
  #filePath: string | null = null;
  #pendingWrite: Buffer[] = [];
  #pendingBytes = 0;
  #handedOver = false;
  #result: Promise<SpooledEntry>;
  #resolve!: (entry: SpooledEntry) => void;
  #reject!: (error: Error) => void;

  constructor(options: EntrySpoolOptions = {}) {
    super({ highWaterMark: 1024 * 1024 });
    this.#threshold = options.memoryThreshold ?? 4 * 1024 * 1024;
    this.#tempRoot = options.tempRoot ?? os.tmpdir();
    this.#result = new Promise<SpooledEntry>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The result is awaited by the archive writer; never leave it unhandled.
    this.#result.catch(() => undefined);
  }

  /** Bytes received so far. */
  get size(): number {
    return this.#size;
  }

  /** Resolves once the writer side has ended (or rejects when it failed). */
  get entry(): Promise<SpooledEntry> {
    return this.#result;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#size += chunk.length;
    if (this.#file === null && this.#memoryBytes + chunk.length <= this.#threshold) {
      // Copy: a chunk may be a slice of a much larger buffer (a driver reply) that it would keep alive.
      this.#chunks.push(Buffer.from(chunk));
      this.#memoryBytes += chunk.length;
      callback();
      return;
    }
    this.#spill(chunk).then(() => callback(), (error: Error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    const file = this.#file;
    const filePath = this.#filePath;
    const size = this.#size;
    if (file === null || filePath === null) {
      const chunks = this.#chunks;
      this.#chunks = [];
      this.#memoryBytes = 0;
      let taken = false;
      this.#handedOver = true;
      this.#resolve({
        size,
        spilled: false,
        open: () => {
          if (taken) throw new Error('spooled entry opened twice');
          taken = true;
          return Readable.from(chunks, { objectMode: false });
        },
        dispose: async () => {
          chunks.length = 0;
        },
      });
      callback();
      return;
    }
    const cleanup = async (): Promise<void> => {
      await file.close().catch(() => undefined);
      await this.#removeTemp();
    };
    this.#flushPending()
      .then(() => file.sync())
      .then(
      () => {
        this.#handedOver = true;
        this.#resolve({
          size,
          spilled: true,
          open: () => {
            const stream = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
            // Unlink as soon as the descriptor is open: nothing lingers on disk.
            stream.once('open', () => void cleanup());
            stream.once('close', () => void cleanup());
            return stream;
          },
          dispose: cleanup,
        });
        callback();
      },
      (error: Error) => {
        void cleanup();
        callback(error);
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Auto-destroy after a successful end: the entry (and its temporary file) now belong to its reader.
    if (this.#handedOver) return callback(error);
    this.#chunks = [];
    this.#reject(error ?? new Error('entry spool destroyed'));
    const file = this.#file;
    this.#file = null;
    Promise.resolve(file?.close())
      .catch(() => undefined)
      .then(() => this.#removeTemp())
      .then(
        () => callback(error),
        () => callback(error),
      );
  }

  async #spill(chunk: Buffer): Promise<void> {
    if (this.#file === null) {
      const dir = await mkdtemp(path.join(this.#tempRoot, 'quorum-spool-'));
      if (this.destroyed) {
        // Destroyed while the directory was being made: leave nothing behind.
        await rm(dir, { recursive: true, force: true });
        throw new Error('entry spool destroyed');
      }
      this.#dir = dir;
      this.#filePath = path.join(dir, 'entry');
      this.#file = await open(this.#filePath, 'wx', 0o600);
      if (this.destroyed) {
        await this.#file.close();
        this.#file = null;
        await this.#removeTemp();
        throw new Error('entry spool destroyed');
      }
      for (const c of this.#chunks) await writeAll(this.#file, c);
      this.#chunks = [];
      this.#memoryBytes = 0;
    }
    // Large chunks (compressed blocks) go straight to the file; no copy.
    if (this.#pendingBytes === 0 && chunk.length >= WRITE_BATCH / 4) {
      await writeAll(this.#file, chunk);
      return;
    }
    // Coalesce small writes (one per BSON document otherwise) into ~1 MiB ones.
    this.#pendingWrite.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= WRITE_BATCH) await this.#flushPending();
  }

  async #flushPending(): Promise<void> {
    if (this.#file === null || this.#pendingBytes === 0) return;
    const data = this.#pendingWrite.length === 1 ? this.#pendingWrite[0]! : Buffer.concat(this.#pendingWrite, this.#pendingBytes);
    this.#pendingWrite = [];
    this.#pendingBytes = 0;
    await writeAll(this.#file, data);
  }

  async #removeTemp(): Promise<void> {
    const dir = this.#dir;
    this.#dir = null;
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}

async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
