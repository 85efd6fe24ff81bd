import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { DeflatePool } from './deflate-pool';
import { EntrySpool, type EntrySpoolOptions, type SpooledEntry } from './entry-spool';
import { nextDictionary, type DeflateSegment } from './parallel-gzip';

/**
 * A tar entry of unknown size, compressed AS IT ARRIVES (a collection being
 * dumped, the remote `root.tar`): its content is cut into blocks that the
 * shared deflate pool compresses (raw deflate, sync-flushed, each with the
 * previous 32 KiB as dictionary, the first with none), and only the
 * compressed blocks are spooled — in memory while small, then on disk. So
 * compressing overlaps dumping, and once the entry ends the archive only has
 * to copy compressed bytes behind its header (see `ParallelGzip.splice`).
 *
 * An entry that ends before its first block fills is kept raw instead: it is
 * small, and compressing it inline with its neighbours gives a better ratio.
 */

/** What a finished entry holds. */
export type CompressedEntry =
  | { readonly kind: 'raw'; readonly size: number; readonly data: Buffer }
  | {
      readonly kind: 'deflate';
      readonly size: number;
      readonly crc: number;
      readonly tail: Buffer | null;
      readonly compressed: SpooledEntry;
    };

export interface DeflateEntrySpoolOptions extends EntrySpoolOptions {
  readonly pool: DeflatePool;
  readonly level: number;
  /** Uncompressed bytes per block (default 1 MiB). */
  readonly blockSize?: number;
  /** Blocks compressing or waiting to be spooled at once (default 3). */
  readonly maxInFlight?: number;
}

/** Opens the compressed blocks of a finished entry as a splice-able segment. */
export function deflateSegment(entry: Extract<CompressedEntry, { kind: 'deflate' }>): DeflateSegment {
  return { length: entry.size, crc: entry.crc, tail: entry.tail, blocks: entry.compressed.open() as AsyncIterable<Buffer> };
}

export class DeflateEntrySpool extends Writable {
  readonly #pool: DeflatePool;
  readonly #level: number;
  readonly #blockSize: number;
  readonly #maxInFlight: number;
  readonly #inner: EntrySpool;
  #block: Buffer;
  #fill = 0;
  #size = 0;
  #crc = 0;
  #dictionary: Buffer | null = null;
  #dispatched = false;
  /** Input blocks back from the workers, reused instead of allocating one per block. */
  readonly #freeBlocks: Buffer[] = [];
  #handedOver = false;
  /** Each in-flight block: settles once its compressed bytes are in the inner spool. */
  readonly #inFlight: Array<Promise<void>> = [];
  #chain: Promise<void> = Promise.resolve();
  #result: Promise<CompressedEntry>;
  #resolve!: (entry: CompressedEntry) => void;
  #reject!: (error: Error) => void;

  constructor(options: DeflateEntrySpoolOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.#pool = options.pool;
    this.#level = options.level;
    this.#blockSize = Math.max(64 * 1024, options.blockSize ?? 1024 * 1024);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 3);
    this.#inner = new EntrySpool(options);
    this.#inner.on('error', () => undefined); // surfaced through #chain / entry
    this.#block = Buffer.allocUnsafeSlow(this.#blockSize);
    this.#result = new Promise<CompressedEntry>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => undefined);
  }

  /** Uncompressed bytes received so far. */
  get size(): number {
    return this.#size;
  }

  /** Resolves once the writer side has ended and every block is spooled. */
  get entry(): Promise<CompressedEntry> {
    return this.#result;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#consume(chunk).then(() => callback(), (error: Error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#finish().then(
      (entry) => {
        this.#handedOver = true;
        this.#resolve(entry);
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Auto-destroy after a successful end: the inner spool's entry now belongs to the archive writer.
    if (this.#handedOver) return callback(error);
    this.#reject(error ?? new Error('entry spool destroyed'));
    if (this.#inner.closed) return callback(error);
    this.#inner.once('close', () => callback(error));
    this.#inner.destroy();
  }

  async #consume(chunk: Buffer): Promise<void> {
    this.#crc = zlib.crc32(chunk, this.#crc);
    this.#size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.#blockSize - this.#fill);
      chunk.copy(this.#block, this.#fill, offset, offset + n);
      this.#fill += n;
      offset += n;
      if (this.#fill === this.#blockSize) await this.#dispatch();
    }
  }

  async #finish(): Promise<CompressedEntry> {
    if (!this.#dispatched) {
      const data = Buffer.from(this.#block.subarray(0, this.#fill));
      this.#block = Buffer.alloc(0);
      // Nothing was spooled: release the unused inner spool.
      await new Promise<void>((resolve) => {
        this.#inner.once('close', () => resolve());
        this.#inner.destroy();
      });
      return { kind: 'raw', size: this.#size, data };
    }
    if (this.#fill > 0) await this.#dispatch();
    await Promise.all(this.#inFlight);
    await this.#chain;
    await new Promise<void>((resolve, reject) => {
      this.#inner.once('error', reject);
      this.#inner.end(() => resolve());
    });
    const compressed = await this.#inner.entry;
    return { kind: 'deflate', size: this.#size, crc: this.#crc >>> 0, tail: this.#dictionary, compressed };
  }

  async #dispatch(): Promise<void> {
    while (this.#inFlight.length >= this.#maxInFlight) await this.#inFlight.shift();
    this.#dispatched = true;
    const full = this.#fill === this.#blockSize;
    const data = full ? this.#block : this.#block.subarray(0, this.#fill);
    const dictionary = this.#dictionary;
    this.#dictionary = nextDictionary(dictionary, data);
    this.#block = this.#freeBlocks.pop() ?? Buffer.allocUnsafeSlow(this.#blockSize);
    this.#fill = 0;
    // Blocks are whole ArrayBuffers when full: moved to the worker, not copied, and moved back for reuse.
    const recycle = (block: Buffer): void => {
      if (block.length === this.#blockSize && this.#freeBlocks.length < 2) this.#freeBlocks.push(block);
    };
    const out = this.#pool.deflate({ data, dictionary, last: false, level: this.#level }, full, recycle);
    const written = (this.#chain = this.#chain.then(async () => this.#spool(await out)));
    // Errors surface where the block is awaited; never unhandled.
    written.catch(() => undefined);
    this.#inFlight.push(written);
  }

  async #spool(out: Buffer): Promise<void> {
    if (out.length === 0) return;
    if (this.#inner.write(out)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.#inner.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.#inner.off('drain', onDrain);
        reject(new Error('entry spool closed'));
      };
      this.#inner.once('drain', onDrain);
      this.#inner.once('close', onClose);
    });
  }
}
