import os from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A small pool of `worker_threads` that raw-deflate independent blocks, so
 * compression uses every core while the main thread keeps streaming.
 *
 * The worker is evaluated from source text rather than loaded from a file:
 * that way it runs unchanged under tsx, Vitest, electron-vite's bundle and
 * browser mode, with no worker entry point for any bundler to get wrong.
 */

/** One block to compress: `dictionary` is the previous 32 KiB of input (pigz's trick). */
export interface DeflateJob {
  readonly data: Uint8Array;
  readonly dictionary: Uint8Array | null;
  /** The last block finishes the deflate stream; the others end in a sync flush. */
  readonly last: boolean;
  readonly level: number;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
parentPort.on('message', (m) => {
  try {
    const opts = {
      level: m.level,
      finishFlush: m.last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    };
    if (m.dictionary) opts.dictionary = Buffer.from(m.dictionary.buffer, m.dictionary.byteOffset, m.dictionary.byteLength);
    const input = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const out = zlib.deflateRawSync(input, opts);
    parentPort.postMessage({ id: m.id, out });
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  readonly resolve: (out: Buffer) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
  jobId: number;
}

/** The number of workers to use by default: every core the process may use. */
export function defaultWorkerCount(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n);
}

export class DeflatePool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Array<{ id: number; job: DeflateJob; transfer: boolean }> = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #failure: Error | null = null;

  constructor(size: number = defaultWorkerCount()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /**
   * Compresses one block. When `transfer` is true the block's buffer moves to
   * the worker (it must then own its whole ArrayBuffer and not be reused).
   */
  deflate(job: DeflateJob, transfer = false): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('deflate pool is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const promise = new Promise<Buffer>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#queue.push({ id, job, transfer });
    this.#pump();
    return promise;
  }

  /** Stops every worker; pending jobs fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new Error('deflate pool is closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots.length = 0;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot && this.#slots.length < this.size) slot = this.#spawn();
      if (!slot) return;
      const next = this.#queue.shift()!;
      slot.busy = true;
      slot.jobId = next.id;
      const { data, dictionary, last, level } = next.job;
      const transferList = next.transfer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? [data.buffer as ArrayBuffer] : [];
      slot.worker.postMessage({ id: next.id, data, dictionary, last, level }, transferList);
    }
  }

  #spawn(): Slot {
    // Small heaps: a worker only holds one block at a time (its buffers are off-heap).
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 } });
    const slot: Slot = { worker, busy: false, jobId: 0 };
    worker.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
      slot.busy = false;
      const pending = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (pending) {
        if (m.error !== undefined || !m.out) pending.reject(new Error(`deflate failed: ${m.error ?? 'no output'}`));
        else pending.resolve(Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength));
      }
      this.#pump();
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(new Error(`deflate worker exited with code ${code}`));
    });
    this.#slots.push(slot);
    return slot;
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#failAll(error);
  }

  #failAll(error: Error): void {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    this.#queue.length = 0;
  }
}
