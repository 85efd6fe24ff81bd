import crypto from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, link, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { QuorumError } from '../../../shared/errors';
import { DeflateEntrySpool, deflateSegment, type CompressedEntry } from './deflate-entry-spool';
import { DeflatePool, defaultWorkerCount } from './deflate-pool';
import type { EntrySpoolOptions } from './entry-spool';
import { createParallelGzip, type ParallelGzip, type ParallelGzipOptions } from './parallel-gzip';
import { encodeTarHeader, tarEnd, tarPadding } from './tar-format';

/**
 * Streams a `.tar.gz` to disk entry by entry, the way a backup must be
 * written: tar → parallel gzip → SHA-1 (base64, computed on the compressed
 * bytes as they pass) → `<final>.partial` (0600). Only a complete, fsynced
 * file is given its final name; on failure or cancel the partial is removed.
 *
 * Entries of unknown size (`openEntry`) are compressed while they arrive,
 * by the same worker pool, and only their compressed blocks are spooled;
 * when one ends, its tar header is compressed into the stream and the
 * spooled blocks are spliced in behind it (one gzip member throughout; the
 * trailer's CRC is combined with `crc32Combine`). The caller may fill the
 * next entry while the previous is being copied: at most
 * `maxPendingEntries` wait for their turn.
 */

export interface TarGzFileWriterOptions extends ParallelGzipOptions, EntrySpoolOptions {
  readonly finalPath: string;
  /** Unknown-size entries allowed to wait for emission (default 2). */
  readonly maxPendingEntries?: number;
  /** Modification time recorded for every member (default now). */
  readonly mtime?: Date;
  /**
   * A second destination for the compressed bytes, fed as they are written
   * (e.g. the GridFS upload, so storing overlaps compressing). It gets the
   * same backpressure as the file and is ended when the archive is.
   */
  readonly mirror?: Writable;
}

export interface WrittenArchive {
  readonly path: string;
  /** Bytes of the `.tar.gz`. */
  readonly size: number;
  /** SHA-1 of the `.tar.gz`, base64 (Juju's checksum). */
  readonly checksum: string;
  /** Uncompressed tar bytes. */
  readonly tarBytes: number;
}

interface EntryMeta {
  readonly mode?: number;
  readonly mtime?: Date;
}

/** Translates a file-system write failure into the operator's words. */
export function writeFailure(error: unknown, file: string): QuorumError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new QuorumError('disk-full', `The disk holding ${path.dirname(file)} is full; the partial archive was removed. Free some space or choose another folder, then try again.`, { cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new QuorumError('forbidden', `Quorum may not write to ${path.dirname(file)}. Choose a folder you can write to.`, { cause: error });
  }
  if (error instanceof QuorumError) return error;
  return new QuorumError('internal', `Writing ${path.basename(file)} failed (${code ?? 'unknown error'}); the partial archive was removed.`, { cause: error });
}

const MIRROR_BATCH = 2 * 1024 * 1024;

export class TarGzFileWriter {
  readonly finalPath: string;
  readonly partialPath: string;
  readonly #options: TarGzFileWriterOptions;
  readonly #pool: DeflatePool;
  readonly #gzip: ParallelGzip;
  readonly #hash = crypto.createHash('sha1');
  readonly #file: FileHandle;
  readonly #done: Promise<void>;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #pendingWaiters: Array<() => void> = [];
  #compressed = 0;
  #tarBytes = 0;
  #failed: Error | null = null;
  #settled = false;
  #aborting: Promise<void> | null = null;
  readonly #spools = new Set<DeflateEntrySpool>();
  readonly #mtime: Date;

  private constructor(options: TarGzFileWriterOptions, file: FileHandle) {
    this.#options = options;
    this.finalPath = options.finalPath;
    this.partialPath = `${options.finalPath}.partial`;
    this.#file = file;
    this.#mtime = options.mtime ?? new Date();
    this.#pool = new DeflatePool(options.workers ?? defaultWorkerCount());
    this.#gzip = createParallelGzip({ ...options, pool: this.#pool });
    const mirror = options.mirror;
    // The mirror gets ~2 MiB writes: GridFS sends one write's 255 KiB chunks concurrently,
    // so bigger writes keep several inserts in flight instead of a round trip per chunk.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const writeMirror = (m: Writable, data: Buffer): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (m.write(data)) return resolve();
        const onDrain = (): void => {
          m.off('error', onError);
          resolve();
        };
        const onError = (error: Error): void => {
          m.off('drain', onDrain);
          reject(error);
        };
        m.once('drain', onDrain);
        m.once('error', onError);
      });
    const takeBatch = (): Buffer => {
      const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
      batch = [];
      batchBytes = 0;
      return data;
    };
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.#hash.update(chunk);
        this.#compressed += chunk.length;
        if (!mirror) return cb(null, chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes < MIRROR_BATCH) return cb(null, chunk);
        writeMirror(mirror, takeBatch()).then(() => cb(null, chunk), (error: Error) => cb(error));
      },
      flush: (cb) => {
        if (!mirror) return cb();
        const rest = batchBytes > 0 ? writeMirror(mirror, takeBatch()) : Promise.resolve();
        rest.then(
          () => {
            mirror.once('error', (error: Error) => cb(error));
            mirror.end(() => cb());
          },
          (error: Error) => cb(error),
        );
      },
    });
    mirror?.on('error', (error: Error) => this.#fail(error));
    this.#done = pipeline(this.#gzip, counter, file.createWriteStream({ flush: true, highWaterMark: 1024 * 1024 }));
    this.#done.catch((error: Error) => this.#fail(error));
  }

  /** Opens `<finalPath>.partial` (0600, must not exist) and refuses when the final name is taken. */
  static async create(options: TarGzFileWriterOptions): Promise<TarGzFileWriter> {
    const finalPath = options.finalPath;
    if (await exists(finalPath)) {
      throw new QuorumError('conflict', `${path.basename(finalPath)} already exists in ${path.dirname(finalPath)}. Choose another file name.`);
    }
    let file: FileHandle;
    try {
      file = await open(`${finalPath}.partial`, 'wx', 0o600);
      await file.chmod(0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new QuorumError('busy', `${path.basename(finalPath)}.partial exists: another backup may be writing it. Wait for it to finish, or delete the .partial file if none runs.`);
      }
      throw writeFailure(error, finalPath);
    }
    return new TarGzFileWriter(options, file);
  }

  /** Uncompressed tar bytes written so far. */
  get tarBytes(): number {
    return this.#tarBytes;
  }

  /** Compressed bytes written so far. */
  get compressedBytes(): number {
    return this.#compressed;
  }

  addDirectory(name: string, meta: EntryMeta = {}): Promise<void> {
    return this.#enqueue(async () => {
      await this.#write(encodeTarHeader({ name, type: 'directory', size: 0, mode: meta.mode ?? 0o755, mtime: meta.mtime ?? this.#mtime }));
    });
  }

  addBuffer(name: string, data: Uint8Array, meta: EntryMeta = {}): Promise<void> {
    return this.#enqueue(async () => {
      await this.#write(encodeTarHeader({ name, type: 'file', size: data.length, mode: meta.mode ?? 0o644, mtime: meta.mtime ?? this.#mtime }));
      await this.#write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      await this.#write(Buffer.alloc(tarPadding(data.length)));
    });
  }

  /** Adds an entry whose size is known up front, streamed straight through. */
  addStream(name: string, size: number, source: Readable, meta: EntryMeta = {}): Promise<void> {
    return this.#enqueue(() => this.#emitStream(name, size, source, meta));
  }

  /**
   * Starts an entry of unknown size: write its bytes to the returned spool
   * and end it; it is emitted (in order) once complete. Resolves only when
   * fewer than `maxPendingEntries` entries are waiting, which bounds memory
   * and disk while letting the next entry overlap compression of this one.
   */
  async openEntry(name: string, meta: EntryMeta = {}): Promise<DeflateEntrySpool> {
    const max = this.#options.maxPendingEntries ?? 2;
    while (this.#pending >= max) {
      this.#throwIfFailed();
      await new Promise<void>((resolve) => this.#pendingWaiters.push(resolve));
    }
    this.#throwIfFailed();
    const spool = new DeflateEntrySpool({
      ...this.#options,
      pool: this.#pool,
      level: this.#gzip.level,
      blockSize: this.#gzip.blockSize,
    });
    this.#spools.add(spool);
    this.#pending++;
    void this.#enqueue(async () => {
      let entry: CompressedEntry | null = null;
      try {
        entry = await spool.entry;
        await this.#emitCompressed(name, entry, meta);
      } finally {
        if (entry?.kind === 'deflate') await entry.compressed.dispose();
        this.#spools.delete(spool);
        this.#pending--;
        this.#wakePending();
      }
    }).catch(() => undefined);
    return spool;
  }

  /** Ends the archive; fsyncs; gives it its final name. */
  async finish(): Promise<WrittenArchive> {
    try {
      await this.#enqueue(async () => {
        await this.#write(tarEnd());
      });
      await this.#gzip.complete();
      await this.#done;
      await this.#pool.close();
      this.#throwIfFailed();
      // The write stream fsyncs (flush) and closes the file before it finishes.
      await this.#publish();
      this.#settled = true;
      return { path: this.finalPath, size: this.#compressed, checksum: this.#hash.digest('base64'), tarBytes: this.#tarBytes };
    } catch (error) {
      const failure = this.#failed ?? error;
      await this.abort(failure);
      throw writeFailure(failure, this.finalPath);
    }
  }

  /**
   * Stops writing and removes the partial file. Safe to call more than once:
   * every call resolves only once the partial file is gone, so a caller that
   * aborts after a signal listener already did still waits for the cleanup.
   */
  abort(reason: unknown = new QuorumError('cancelled', 'The backup was cancelled.')): Promise<void> {
    this.#fail(reason instanceof Error ? reason : new Error(String(reason)));
    if (this.#aborting) return this.#aborting;
    if (this.#settled) return Promise.resolve();
    this.#settled = true;
    this.#aborting = this.#cleanUp();
    return this.#aborting;
  }

  async #cleanUp(): Promise<void> {
    await Promise.all(
      [...this.#spools].map(
        (spool) =>
          new Promise<void>((resolve) => {
            if (spool.closed) return resolve();
            spool.once('close', () => resolve());
            // No error argument: the spool's owner learns of the failure from the writer.
            spool.destroy();
          }),
      ),
    );
    this.#gzip.destroy(this.#failed ?? undefined);
    await this.#done.catch(() => undefined);
    await this.#pool.close();
    await this.#file.close().catch(() => undefined);
    await rm(this.partialPath, { force: true });
  }

  async #publish(): Promise<void> {
    // link() refuses to replace an existing file, so nothing is overwritten.
    try {
      await link(this.partialPath, this.finalPath);
      await unlink(this.partialPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        throw new QuorumError('conflict', `${path.basename(this.finalPath)} appeared while the backup was written. The archive was not kept; choose another file name.`);
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
      await rename(this.partialPath, this.finalPath);
    }
    await chmod(this.finalPath, 0o600);
    await syncDirectory(path.dirname(this.finalPath));
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(() => {
      this.#throwIfFailed();
      return task();
    });
    this.#tail = run.catch((error: Error) => this.#fail(error));
    return run;
  }

  async #emitStream(name: string, size: number, source: Readable, meta: EntryMeta): Promise<void> {
    await this.#write(encodeTarHeader({ name, type: 'file', size, mode: meta.mode ?? 0o644, mtime: meta.mtime ?? this.#mtime }));
    let seen = 0;
    try {
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        seen += buf.length;
        if (seen > size) throw new QuorumError('internal', `${name} grew while it was archived (more than ${size} bytes).`);
        await this.#write(buf);
      }
    } finally {
      source.destroy();
    }
    if (seen !== size) throw new QuorumError('internal', `${name} ended after ${seen} of ${size} bytes.`);
    await this.#write(Buffer.alloc(tarPadding(size)));
  }

  /** Header, then the entry's content (raw, or its compressed blocks spliced in), then padding. */
  async #emitCompressed(name: string, entry: CompressedEntry, meta: EntryMeta): Promise<void> {
    await this.#write(encodeTarHeader({ name, type: 'file', size: entry.size, mode: meta.mode ?? 0o644, mtime: meta.mtime ?? this.#mtime }));
    if (entry.kind === 'raw') {
      await this.#write(entry.data);
    } else {
      this.#throwIfFailed();
      await this.#gzip.splice(deflateSegment(entry));
      this.#tarBytes += entry.size;
    }
    await this.#write(Buffer.alloc(tarPadding(entry.size)));
  }

  async #write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.#throwIfFailed();
    this.#tarBytes += chunk.length;
    await this.#gzip.append(chunk);
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    this.#wakePending();
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#failed;
  }

  #wakePending(): void {
    const waiters = this.#pendingWaiters;
    this.#pendingWaiters = [];
    for (const w of waiters) w();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
