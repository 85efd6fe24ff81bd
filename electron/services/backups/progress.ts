import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import type { OperationProgress } from '../../../shared/ipc/operations';

/**
 * Turns a byte counter into throttled progress with a rate over the last
 * few seconds, so the bar, bytes and MB/s move smoothly whatever the phase.
 */
export class ProgressReporter {
  readonly #emit: (p: OperationProgress) => void;
  readonly #bytes: () => number;
  #phase: Omit<OperationProgress, 'bytes' | 'rate'> = { phase: 'checking', message: 'Checking the replica set…' };
  #samples: Array<{ t: number; b: number }> = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(emit: (p: OperationProgress) => void, bytes: () => number, intervalMs = 250) {
    this.#emit = emit;
    this.#bytes = bytes;
    this.#timer = setInterval(() => this.#tick(), intervalMs);
    this.#timer.unref();
  }

  phase(p: Omit<OperationProgress, 'bytes' | 'rate'>): void {
    // A new phase may count other bytes (storing counts the upload): its rate starts afresh.
    if (p.phase !== this.#phase.phase) this.#samples = [];
    this.#phase = p;
    this.#tick();
  }

  #tick(): void {
    const now = Date.now();
    const b = this.#bytes();
    this.#samples.push({ t: now, b });
    while (this.#samples.length > 2 && now - this.#samples[0]!.t > 3000) this.#samples.shift();
    const first = this.#samples[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt > 0.2 ? Math.max(0, (b - first.b) / dt) : 0;
    // A phase that knows its total (storing the archive) fills the bar by bytes.
    const total = this.#phase.totalBytes;
    const fraction = this.#phase.fraction ?? (total ? Math.min(1, b / total) : undefined);
    this.#emit({ ...this.#phase, bytes: b, rate, ...(fraction === undefined ? {} : { fraction }) });
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/**
 * A file's bytes with a byte counter on the way. Nothing flows until the
 * result is consumed, so it can be handed to code that awaits before piping.
 */
export function countingReadStream(file: string, onBytes: (bytes: number) => void): Readable {
  let seen = 0;
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      seen += chunk.length;
      onBytes(seen);
      cb(null, chunk);
    },
  });
  source.on('error', (e) => counter.destroy(e));
  counter.on('close', () => source.destroy());
  return source.pipe(counter);
}
