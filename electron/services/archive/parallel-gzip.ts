import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { crc32Combine } from './crc32-combine';
import { DeflatePool, defaultWorkerCount } from './deflate-pool';

/**
 * A gzip compressor that uses every core, like pigz, and still writes ONE
 * standard gzip member that `gunzip`, `zlib` and any tar reader accept.
 *
 * The input is cut into fixed blocks; each is raw-deflated by a worker with
 * the previous 32 KiB of input as its dictionary (so the ratio stays close to
 * single-threaded gzip) and ends in a sync flush, which byte-aligns it so the
 * blocks can be concatenated; the last block finishes the stream. The CRC32
 * and length for the trailer are computed on the input as it arrives.
 *
 * Memory is flat: at most `maxInFlight` blocks are being compressed or
 * waiting to be read, and no new input is accepted until one frees up.
 */

export interface ParallelGzipOptions {
  /** zlib level 0–9 (default 6, gzip's). */
  readonly level?: number;
  /** Input bytes per block (default 1 MiB; at least 64 KiB). */
  readonly blockSize?: number;
  /** Worker threads (default: available cores). */
  readonly workers?: number;
  /** Blocks compressing or compressed-but-unread at once (default workers + 1: every core busy, one block read meanwhile). */
  readonly maxInFlight?: number;
  /** A pool shared with other compressors (e.g. entry spools); it is not closed by this stream. */
  readonly pool?: DeflatePool;
}

/**
 * Deflate content compressed elsewhere, spliced into the stream as is:
 * byte-aligned, sync-flushed, non-final raw deflate blocks that reference
 * nothing before them, with the CRC32 and length of what they decompress to.
 */
export interface DeflateSegment {
  /** Uncompressed length. */
  readonly length: number;
  /** CRC32 of the uncompressed content. */
  readonly crc: number;
  /** The content's last (up to) 32 KiB: the next block's dictionary. */
  readonly tail: Buffer | null;
  /** The compressed blocks, in order. */
  readonly blocks: AsyncIterable<Buffer>;
}

/** The last 32 KiB of `prev ‖ data` (what the next block may reference). */
export function nextDictionary(prev: Buffer | null, data: Buffer): Buffer | null {
  if (data.length >= DICT_SIZE) return Buffer.from(data.subarray(data.length - DICT_SIZE));
  if (data.length === 0) return prev;
  const joined = prev ? Buffer.concat([prev, data]) : Buffer.from(data);
  return joined.length > DICT_SIZE ? joined.subarray(joined.length - DICT_SIZE) : joined;
}

const DICT_SIZE = 32 * 1024;
const MIN_BLOCK = 64 * 1024;

/** The gzip header pigz writes for a stream: no name, mtime 0, OS unix. */
function gzipHeader(level: number): Buffer {
  const xfl = level >= 9 ? 2 : level <= 1 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

export class ParallelGzip extends Duplex {
  readonly level: number;
  readonly blockSize: number;
  readonly #pool: DeflatePool;
  readonly #maxInFlight: number;
  #block: Buffer;
  #fill = 0;
  #dictionary: Buffer | null = null;
  #crc = 0;
  #inputBytes = 0;
  #outputBytes = 0;
  /** Jobs in input order; the head is pushed as soon as it is done. */
  readonly #jobs: Array<{ done: boolean; out: Buffer | null }> = [];
  #waiters: Array<() => void> = [];
  /** Input blocks back from the workers, reused instead of allocating 1 MiB per block. */
  readonly #freeBlocks: Buffer[] = [];
  #error: Error | null = null;
  readonly #ownsPool: boolean;
  #completed = false;

  constructor(options: ParallelGzipOptions = {}) {
    const blockSize = Math.max(MIN_BLOCK, Math.floor(options.blockSize ?? 1024 * 1024));
    super({ readableHighWaterMark: blockSize, writableHighWaterMark: blockSize });
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`gzip level must be 0–9, got ${level}`);
    this.level = level;
    this.blockSize = blockSize;
    const workers = options.workers ?? defaultWorkerCount();
    this.#ownsPool = options.pool === undefined;
    this.#pool = options.pool ?? new DeflatePool(workers);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? this.#pool.size + 1);
    this.#block = Buffer.allocUnsafeSlow(blockSize);
    this.#pushCounted(gzipHeader(level));
  }

  /** Uncompressed bytes accepted so far. */
  get bytesIn(): number {
    return this.#inputBytes;
  }

  /** Compressed bytes produced so far (header included). */
  get bytesOut(): number {
    return this.#outputBytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#consume(chunk).then(() => callback(), (error: Error) => callback(error));
  }

  /**
   * Appends uncompressed bytes without the Writable machinery, so they can be
   * ordered with `splice`. The caller awaits each call (never mixed with write()).
   */
  append(chunk: Buffer): Promise<void> {
    return this.#consume(chunk);
  }

  /** Splices pre-compressed content after everything appended so far. */
  async splice(segment: DeflateSegment): Promise<void> {
    if (this.#fill > 0) await this.#dispatch(false);
    for await (const block of segment.blocks) {
      await this.#waitForRoom();
      this.#jobs.push({ done: true, out: block });
      this.#drainInOrder();
    }
    this.#crc = crc32Combine(this.#crc, segment.crc, segment.length);
    this.#inputBytes += segment.length;
    this.#dictionary = segment.tail;
  }

  /** Ends the stream after `append`/`splice` (the counterpart of end()). */
  async complete(): Promise<void> {
    await this.#finish();
    this.#completed = true;
    this.end();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#completed) return callback();
    this.#finish().then(() => callback(), (error: Error) => callback(error));
  }

  override _read(): void {
    this.#wake();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#error ??= error ?? new Error('gzip stream destroyed');
    this.#wake();
    (this.#ownsPool ? this.#pool.close() : Promise.resolve()).then(
      () => callback(error),
      () => callback(error),
    );
  }

  async #consume(chunk: Buffer): Promise<void> {
    this.#crc = zlib.crc32(chunk, this.#crc);
    this.#inputBytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.blockSize - this.#fill);
      chunk.copy(this.#block, this.#fill, offset, offset + n);
      this.#fill += n;
      offset += n;
      if (this.#fill === this.blockSize) await this.#dispatch(false);
    }
  }

  async #finish(): Promise<void> {
    await this.#dispatch(true);
    while (this.#jobs.length > 0) {
      if (this.#error) throw this.#error;
      await this.#waitForChange();
    }
    if (this.#error) throw this.#error;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.#crc >>> 0, 0);
    trailer.writeUInt32LE(this.#inputBytes % 0x1_0000_0000, 4);
    this.#pushCounted(trailer);
    if (this.#ownsPool) await this.#pool.close();
    this.push(null);
  }

  async #waitForRoom(): Promise<void> {
    while (this.#jobs.length >= this.#maxInFlight || this.readableLength >= this.readableHighWaterMark) {
      if (this.#error) throw this.#error;
      await this.#waitForChange();
    }
    if (this.#error) throw this.#error;
  }

  async #dispatch(last: boolean): Promise<void> {
    await this.#waitForRoom();
    const data = this.#fill === this.blockSize ? this.#block : this.#block.subarray(0, this.#fill);
    const dictionary = this.#dictionary;
    // The next block may reference the last 32 KiB before it (short blocks included).
    this.#dictionary = nextDictionary(dictionary, data);
    const job: { done: boolean; out: Buffer | null } = { done: false, out: null };
    this.#jobs.push(job);
    const transfer = data === this.#block;
    if (!last) {
      this.#block = this.#freeBlocks.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
      this.#fill = 0;
    }
    const recycle = (block: Buffer): void => {
      if (block.length === this.blockSize && this.#freeBlocks.length < 2) this.#freeBlocks.push(block);
    };
    this.#pool.deflate({ data, dictionary, last, level: this.level }, transfer, recycle).then(
      (out) => {
        job.done = true;
        job.out = out;
        this.#drainInOrder();
      },
      (error: Error) => {
        this.#error ??= error;
        this.#wake();
        this.destroy(error);
      },
    );
  }

  #drainInOrder(): void {
    while (this.#jobs.length > 0 && this.#jobs[0]!.done) {
      const job = this.#jobs.shift()!;
      if (job.out && job.out.length > 0) this.#pushCounted(job.out);
    }
    this.#wake();
  }

  #pushCounted(buf: Buffer): void {
    this.#outputBytes += buf.length;
    this.push(buf);
  }

  #waitForChange(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** A pigz-style gzip Transform (a Duplex writing one gzip member). */
export function createParallelGzip(options: ParallelGzipOptions = {}): ParallelGzip {
  return new ParallelGzip(options);
}
