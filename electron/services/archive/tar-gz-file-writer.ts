import { constants as fsConstants } from 'node:fs';
import { access, chmod, link, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { QuorumError } from '../../../shared/errors';
import { ArchiveOutput } from './archive-output';
import { DeflatePool, defaultWorkerCount } from './deflate-pool';
import { createParallelGzip, type ParallelGzip, type ParallelGzipOptions, type StoredSlot } from './parallel-gzip';
import { encodeTarHeader, tarEnd, tarPadding, type TarEntryHeader } from './tar-format';

/**
 * Streams a `.tar.gz` to disk entry by entry, the way a backup must be
 * written: tar → parallel gzip → `<final>.partial` (0600), with SHA-1
 * (base64) over the compressed bytes. Only a complete, fsynced
 * file is given its final name; on failure or cancel the partial is removed.
 *
 * Entries of unknown size (`openEntry`: a collection being dumped, the
 * remote `root.tar`) stream straight into the archive as they arrive: no
 * copy of them is kept anywhere. Their tar header, whose size field is only
 * known at the end, is emitted as a fixed-size stored deflate block holding
 * a placeholder and written over in place once the entry ends (the checksum
 * reads the patched bytes back). An entry that ends within its first block
 * is written inline like a known-size one instead.
 */

export interface TarGzFileWriterOptions extends ParallelGzipOptions {
  readonly finalPath: string;
  /** An unknown-size entry that ends within this many bytes is written inline (default: one block). */
  readonly inlineEntryBytes?: number;
  /** Modification time recorded for every member (default now). */
  readonly mtime?: Date;
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

export class TarGzFileWriter {
  readonly finalPath: string;
  readonly partialPath: string;
  readonly #pool: DeflatePool;
  readonly #gzip: ParallelGzip;
  readonly #output: ArchiveOutput;
  readonly #file: FileHandle;
  readonly #done: Promise<void>;
  #tail: Promise<void> = Promise.resolve();
  #tarBytes = 0;
  #failed: Error | null = null;
  #settled = false;
  #aborting: Promise<void> | null = null;
  readonly #entries = new Set<DirectEntry>();
  readonly #mtime: Date;
  readonly #inlineEntryBytes: number;

  private constructor(options: TarGzFileWriterOptions, file: FileHandle) {
    this.finalPath = options.finalPath;
    this.partialPath = `${options.finalPath}.partial`;
    this.#file = file;
    this.#mtime = options.mtime ?? new Date();
    this.#pool = new DeflatePool(options.workers ?? defaultWorkerCount());
    this.#gzip = createParallelGzip({ ...options, pool: this.#pool });
    this.#inlineEntryBytes = Math.max(0, options.inlineEntryBytes ?? this.#gzip.blockSize);
    this.#output = new ArchiveOutput(file);
    this.#done = pipeline(this.#gzip, this.#output);
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
      // Read back too: the checksum re-reads what lies behind a header patched in place.
      file = await open(`${finalPath}.partial`, 'wx+', 0o600);
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
   * Starts an entry of unknown size: write its bytes to the returned stream
   * and end it. Entries are written in order, so this resolves once
   * everything added before it is in the archive.
   */
  async openEntry(name: string, meta: EntryMeta = {}): Promise<Writable> {
    const header = { name, type: 'file', mode: meta.mode ?? 0o644, mtime: meta.mtime ?? this.#mtime } as const;
    const entry = new DirectEntry(header, this.#inlineEntryBytes, {
      write: (chunk) => this.#write(chunk),
      reserveHeader: (length) => this.#reserveHeader(length),
      patchHeader: (slot, bytes) => this.#patchHeader(slot, bytes),
    });
    this.#entries.add(entry);
    let myTurn!: () => void;
    const turn = new Promise<void>((resolve) => (myTurn = resolve));
    const run = this.#enqueue(async () => {
      myTurn();
      try {
        await entry.done;
      } finally {
        this.#entries.delete(entry);
      }
    });
    run.catch(() => undefined);
    try {
      await Promise.race([turn, run]);
      this.#throwIfFailed();
    } catch (error) {
      entry.destroy();
      throw error;
    }
    return entry;
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
      // The output fsyncs and closes the file before it finishes.
      await this.#publish();
      this.#settled = true;
      return { path: this.finalPath, size: this.#output.bytes, checksum: this.#output.checksum, tarBytes: this.#tarBytes };
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
      [...this.#entries].map(
        (entry) =>
          new Promise<void>((resolve) => {
            if (entry.closed) return resolve();
            entry.once('close', () => resolve());
            // No error argument: the entry's owner learns of the failure from the writer.
            entry.destroy();
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

  /** Ends the current block and emits a placeholder for a header of `length` bytes. */
  async #reserveHeader(length: number): Promise<StoredSlot> {
    this.#throwIfFailed();
    const slot = await this.#gzip.reserveStored(length, (offset) => this.#output.reserve(offset, length));
    this.#tarBytes += length;
    return slot;
  }

  /** Writes a header's final bytes over its placeholder. */
  async #patchHeader(slot: StoredSlot, bytes: Buffer): Promise<void> {
    this.#throwIfFailed();
    this.#gzip.fillStored(slot, bytes);
    await this.#output.patch(await slot.offset, bytes);
  }

  async #write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.#throwIfFailed();
    this.#tarBytes += chunk.length;
    await this.#gzip.append(chunk);
  }

  #fail(error: Error): void {
    this.#failed ??= error;
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#failed;
  }
}

interface DirectEntrySink {
  write(chunk: Buffer): Promise<void>;
  reserveHeader(length: number): Promise<StoredSlot>;
  patchHeader(slot: StoredSlot, bytes: Buffer): Promise<void>;
}

/**
 * One entry of unknown size. Its first block is kept in memory: an entry
 * that ends within it is written inline with its header like a known-size
 * one (small collections compress with their neighbours). Past it, the
 * header goes out as a placeholder and the content streams straight into
 * the archive; the real header is patched in when the entry ends.
 */
class DirectEntry extends Writable {
  readonly #header: Omit<TarEntryHeader, 'size'>;
  readonly #inlineLimit: number;
  readonly #sink: DirectEntrySink;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #slot: StoredSlot | null = null;
  #size = 0;
  #finished = false;
  readonly done: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  constructor(header: Omit<TarEntryHeader, 'size'>, inlineLimit: number, sink: DirectEntrySink) {
    super({ highWaterMark: 256 * 1024 });
    this.#header = header;
    this.#inlineLimit = inlineLimit;
    this.#sink = sink;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(() => undefined);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#consume(chunk).then(() => callback(), (error: Error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#end().then(
      () => {
        this.#finished = true;
        this.#resolve();
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#finished) this.#reject(error ?? new QuorumError('cancelled', `${this.#header.name} was not completed.`));
    callback(error);
  }

  async #consume(chunk: Buffer): Promise<void> {
    this.#size += chunk.length;
    if (this.#slot === null) {
      if (this.#heldBytes + chunk.length <= this.#inlineLimit) {
        // Copied: a chunk may be a slice of a much larger buffer (a driver reply) it would keep alive.
        this.#held.push(Buffer.from(chunk));
        this.#heldBytes += chunk.length;
        return;
      }
      this.#slot = await this.#sink.reserveHeader(encodeTarHeader({ ...this.#header, size: 0 }).length);
      for (const held of this.#takeHeld()) await this.#sink.write(held);
    }
    await this.#sink.write(chunk);
  }

  async #end(): Promise<void> {
    const header = encodeTarHeader({ ...this.#header, size: this.#size });
    if (this.#slot === null) {
      await this.#sink.write(header);
      for (const held of this.#takeHeld()) await this.#sink.write(held);
    } else {
      if (header.length !== this.#slot.length) {
        throw new QuorumError('internal', `${this.#header.name} is larger than 8 GiB (${this.#size} bytes), which a streamed tar entry cannot hold.`);
      }
      await this.#sink.patchHeader(this.#slot, header);
    }
    await this.#sink.write(Buffer.alloc(tarPadding(this.#size)));
  }

  #takeHeld(): Buffer[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    return held;
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
