import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
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
  /** Blocks compressing or compressed-but-unread at once (default 2 × workers + 1). */
  readonly maxInFlight?: number;
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
  #error: Error | null = null;

  constructor(options: ParallelGzipOptions = {}) {
    const blockSize = Math.max(MIN_BLOCK, Math.floor(options.blockSize ?? 1024 * 1024));
    super({ readableHighWaterMark: blockSize, writableHighWaterMark: blockSize });
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`gzip level must be 0–9, got ${level}`);
    this.level = level;
    this.blockSize = blockSize;
    const workers = options.workers ?? defaultWorkerCount();
    this.#pool = new DeflatePool(workers);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2 * this.#pool.size + 1);
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

  override _final(callback: (error?: Error | null) => void): void {
    this.#finish().then(() => callback(), (error: Error) => callback(error));
  }

  override _read(): void {
    this.#wake();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#error ??= error ?? new Error('gzip stream destroyed');
    this.#wake();
    this.#pool.close().then(
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
    await this.#pool.close();
    this.push(null);
  }

  async #dispatch(last: boolean): Promise<void> {
    while (this.#jobs.length >= this.#maxInFlight || this.readableLength >= this.readableHighWaterMark) {
      if (this.#error) throw this.#error;
      await this.#waitForChange();
    }
    if (this.#error) throw this.#error;
    const data = this.#fill === this.blockSize ? this.#block : this.#block.subarray(0, this.#fill);
    const dictionary = this.#dictionary;
    // The next block's dictionary is this block's tail (blocks are ≥ 32 KiB).
    this.#dictionary = this.#fill >= DICT_SIZE ? Buffer.from(data.subarray(this.#fill - DICT_SIZE)) : null;
    const job: { done: boolean; out: Buffer | null } = { done: false, out: null };
    this.#jobs.push(job);
    const transfer = data === this.#block;
    if (!last) {
      this.#block = Buffer.allocUnsafeSlow(this.blockSize);
      this.#fill = 0;
    }
    this.#pool.deflate({ data, dictionary, last, level: this.level }, transfer).then(
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
