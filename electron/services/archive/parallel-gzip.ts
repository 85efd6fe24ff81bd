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
  /** A pool shared with other users; it is not closed by this stream. */
  readonly pool?: DeflatePool;
}

/**
 * Placeholder bytes emitted as a stored (uncompressed) deflate block, so they
 * can be overwritten in place once known (a tar header whose size is only
 * known when its entry ends). Fill it with `ParallelGzip.fillStored`.
 */
export interface StoredSlot {
  readonly length: number;
  /** Offset of the placeholder's bytes in the compressed output, once they are emitted. */
  readonly offset: Promise<number>;
}

interface OpenSlot extends StoredSlot {
  readonly crcBefore: number;
  /** Uncompressed bytes before the placeholder. */
  readonly inputBefore: number;
}

/** The longest stored block deflate allows. */
const MAX_STORED = 0xffff;

/** The last 32 KiB of `prev ‖ data` (what the next block may reference). */
export function nextDictionary(prev: Buffer | null, data: Buffer): Buffer | null {
  if (data.length >= DICT_SIZE) return Buffer.from(data.subarray(data.length - DICT_SIZE));
  if (data.length === 0) return prev;
  const joined = prev ? Buffer.concat([prev, data]) : Buffer.from(data);
  return joined.length > DICT_SIZE ? joined.subarray(joined.length - DICT_SIZE) : joined;
}

const DICT_SIZE = 32 * 1024;

/**
 * Content-adaptive strategy. A block that LZ77 leaves at more than
 * POOR_RATIO of its size (random text, compressed blobs) gains nothing from
 * the match search, which is the slow part there (about 55 MB/s at any
 * level on base64): the blocks after it are Huffman-coded only (about
 * 220 MB/s, same size). Every PROBE_EVERY-th block is still compressed
 * normally, and a probe that finds matches again switches back.
 */
const POOR_RATIO = 0.7;
const PROBE_EVERY = 8;
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
  readonly #jobs: Array<{ done: boolean; out: Buffer | null; onEmit?: (offset: number) => void }> = [];
  #waiters: Array<() => void> = [];
  /** Input blocks back from the workers, reused instead of allocating 1 MiB per block. */
  readonly #freeBlocks: Buffer[] = [];
  #error: Error | null = null;
  #slot: OpenSlot | null = null;
  #huffmanOnly = false;
  #sinceProbe = 0;
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
   * ordered with `reserveStored`. The caller awaits each call (never mixed with write()).
   */
  append(chunk: Buffer): Promise<void> {
    return this.#consume(chunk);
  }

  /**
   * Ends the current block and emits `length` placeholder bytes (zeros) as a
   * stored deflate block, always `length + 5` compressed bytes, at an offset
   * reported to `onEmit` just before they are pushed. Nothing after it
   * references it (the next block starts without a dictionary), so it can be
   * overwritten in place later. One slot may be open at a time.
   */
  async reserveStored(length: number, onEmit: (offset: number) => void): Promise<StoredSlot> {
    if (this.#slot) throw new Error('a stored slot is already open');
    if (!Number.isInteger(length) || length <= 0 || length > MAX_STORED) throw new RangeError(`stored slot length must be 1–${MAX_STORED}, got ${length}`);
    if (this.#fill > 0) await this.#dispatch(false);
    await this.#waitForRoom();
    // BFINAL=0, BTYPE=00, padded to the byte; LEN and its one's complement; the bytes.
    const block = Buffer.alloc(5 + length);
    block.writeUInt16LE(length, 1);
    block.writeUInt16LE(~length & 0xffff, 3);
    let resolveOffset!: (offset: number) => void;
    const offset = new Promise<number>((resolve) => (resolveOffset = resolve));
    this.#jobs.push({
      done: true,
      out: block,
      onEmit: (at) => {
        onEmit(at + 5);
        resolveOffset(at + 5);
      },
    });
    const slot: OpenSlot = { length, offset, crcBefore: this.#crc, inputBefore: this.#inputBytes };
    this.#slot = slot;
    // The content after the slot is checksummed on its own and combined in when the slot is filled.
    this.#crc = 0;
    this.#inputBytes += length;
    this.#dictionary = null;
    this.#drainInOrder();
    return slot;
  }

  /**
   * Accounts for the final bytes of the open slot in the trailer's CRC (the
   * caller writes them over the placeholder in the output).
   */
  fillStored(slot: StoredSlot, data: Buffer): void {
    const open = this.#slot;
    if (open !== slot) throw new Error('not the open stored slot');
    if (data.length !== open.length) throw new RangeError(`stored slot holds ${open.length} bytes, got ${data.length}`);
    const since = this.#inputBytes - (open.inputBefore + open.length);
    this.#crc = crc32Combine(crc32Combine(open.crcBefore, zlib.crc32(data), open.length), this.#crc, since);
    this.#slot = null;
  }

  /** Ends the stream after `append` (the counterpart of end()). */
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
    if (this.#slot) throw new Error('the archive ended with a stored slot still open');
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
    const huffmanOnly = this.#nextStrategy(data.length);
    const inputLength = data.length;
    this.#pool.deflate({ data, dictionary, last, level: this.level, huffmanOnly }, transfer, recycle).then(
      (out) => {
        job.done = true;
        job.out = out;
        this.#learn(huffmanOnly, inputLength, out.length);
        this.#drainInOrder();
      },
      (error: Error) => {
        this.#error ??= error;
        this.#wake();
        this.destroy(error);
      },
    );
  }

  /** Whether the next block is Huffman-coded only (never at level 0, and never a probe). */
  #nextStrategy(length: number): boolean {
    if (!this.#huffmanOnly || this.level === 0 || length < MIN_BLOCK) return false;
    if (++this.#sinceProbe >= PROBE_EVERY) {
      this.#sinceProbe = 0;
      return false;
    }
    return true;
  }

  /** Learns from a finished block whether the match search pays off. */
  #learn(huffmanOnly: boolean, input: number, output: number): void {
    if (huffmanOnly || this.level === 0 || input < MIN_BLOCK) return;
    this.#huffmanOnly = output > input * POOR_RATIO;
  }

  #drainInOrder(): void {
    while (this.#jobs.length > 0 && this.#jobs[0]!.done) {
      const job = this.#jobs.shift()!;
      job.onEmit?.(this.#outputBytes);
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
