/**
 * Server-side cursors: each holds a lazy generator of raw documents, so a
 * `find` over a large collection never materialises its result; batches are
 * pulled on `getMore` until the batch size or the 16 MiB reply limit.
 */
import { randomBytes } from 'node:crypto';
import { MongoServerError } from './errors';

export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60_000;

export interface ServerCursor {
  readonly id: bigint;
  readonly ns: string;
  readonly iterator: Iterator<Buffer>;
  readonly batchSize: number;
  lastUsed: number;
  /** Connection-independent owner check (the authenticated user). */
  readonly owner: string | null;
}

export interface Batch {
  docs: Buffer[];
  exhausted: boolean;
}

/** Pull up to `size` documents (0 = unlimited, bounded by MAX_BATCH_BYTES). */
export function takeBatch(it: Iterator<Buffer>, size: number, maxBytes = MAX_BATCH_BYTES): Batch {
  const docs: Buffer[] = [];
  let bytes = 0;
  const limit = size > 0 ? size : Infinity;
  while (docs.length < limit) {
    const r = it.next();
    if (r.done) return { docs, exhausted: true };
    docs.push(r.value);
    bytes += r.value.length;
    if (bytes >= maxBytes) break;
  }
  return { docs, exhausted: false };
}

export class CursorManager {
  private readonly cursors = new Map<bigint, ServerCursor>();

  open(ns: string, iterator: Iterator<Buffer>, batchSize: number, owner: string | null): ServerCursor {
    let id: bigint;
    do id = randomBytes(8).readBigInt64LE() & 0x3fffffffffffffffn;
    while (id === 0n || this.cursors.has(id));
    const c: ServerCursor = { id, ns, iterator, batchSize, lastUsed: Date.now(), owner };
    this.cursors.set(id, c);
    return c;
  }

  get(id: bigint, ns: string): ServerCursor {
    const c = this.cursors.get(id);
    if (!c) throw new MongoServerError('CursorNotFound', `cursor id ${id} not found`);
    if (c.ns !== ns) throw new MongoServerError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    c.lastUsed = Date.now();
    return c;
  }

  kill(id: bigint): boolean {
    const c = this.cursors.get(id);
    if (!c) return false;
    this.cursors.delete(id);
    c.iterator.return?.();
    return true;
  }

  killAll(): void {
    for (const id of [...this.cursors.keys()]) this.kill(id);
  }

  expire(now = Date.now()): void {
    for (const c of [...this.cursors.values()]) if (now - c.lastUsed > IDLE_TIMEOUT_MS) this.kill(c.id);
  }

  get size(): number {
    return this.cursors.size;
  }
}
