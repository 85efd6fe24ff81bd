import os from 'node:os';
import zlib from 'node:zlib';

/**
 * Raw-deflates independent blocks on libuv's thread pool (zlib's async API),
 * at most `size` at once, so compression uses every core while the main
 * thread keeps streaming. No worker_threads: each of those is a whole V8
 * isolate with its own heap, which cost tens of MiB of RSS per core for
 * nothing but a zlib call; and no buffer crosses a thread by copy.
 */

/** One block to compress: `dictionary` is the previous 32 KiB of input (pigz's trick). */
export interface DeflateJob {
  readonly data: Uint8Array;
  readonly dictionary: Uint8Array | null;
  /** The last block finishes the deflate stream; the others end in a sync flush. */
  readonly last: boolean;
  readonly level: number;
  /**
   * Huffman coding only, no match search: for data LZ77 cannot shrink
   * (random text such as base64 keys and certificates, already-compressed
   * blobs), where it gives the same size about four times faster.
   */
  readonly huffmanOnly?: boolean;
}


/** The number of workers to use by default: every core the process may use. */
export function defaultWorkerCount(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n);
}

export class DeflatePool {
  readonly size: number;
  readonly #queue: Array<{ job: DeflateJob; resolve: (out: Buffer) => void; reject: (error: Error) => void; recycle: ((block: Buffer) => void) | undefined }> = [];
  #running = 0;
  #closed = false;

  constructor(size: number = defaultWorkerCount()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /**
   * Compresses one block on libuv's thread pool (at most `size` at once).
   * `transfer` is accepted for API compatibility (nothing is copied anyway);
   * `recycle` gets the input block back once compressed, so it can be reused.
   */
  deflate(job: DeflateJob, _transfer = false, recycle?: (block: Buffer) => void): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('deflate pool is closed'));
    const promise = new Promise<Buffer>((resolve, reject) => this.#queue.push({ job, resolve, reject, recycle }));
    this.#pump();
    return promise;
  }

  /** Stops accepting jobs; queued ones fail (running ones finish). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new Error('deflate pool is closed');
    for (const q of this.#queue.splice(0)) q.reject(error);
  }

  #pump(): void {
    while (this.#running < this.size && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#running++;
      const { data, dictionary, last, level, huffmanOnly } = next.job;
      const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const options: zlib.ZlibOptions = {
        level,
        ...(huffmanOnly ? { strategy: zlib.constants.Z_HUFFMAN_ONLY } : {}),
        finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
        // One output chunk for a typical block: fewer callbacks and no concat.
        chunkSize: Math.max(64 * 1024, Math.min(2 * 1024 * 1024, input.length + (input.length >> 3) + 1024)),
        ...(dictionary ? { dictionary: Buffer.from(dictionary.buffer, dictionary.byteOffset, dictionary.byteLength) } : {}),
      };
      zlib.deflateRaw(input, options, (error, out) => {
        this.#running--;
        if (error) next.reject(new Error(`deflate failed: ${error.message}`));
        else {
          if (next.recycle && input.byteOffset === 0 && input.byteLength === input.buffer.byteLength) next.recycle(input);
          next.resolve(out);
        }
        this.#pump();
      });
    }
  }
}
