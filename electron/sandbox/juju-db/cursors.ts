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
  readonly iterator: BatchIterator;
  readonly batchSize: number;
  lastUsed: number;
  /** Connection-independent owner check (the authenticated user). */
  readonly owner: string | null;
}

export interface Batch {
  docs: Buffer[];
  exhausted: boolean;
}

/**
 * A cursor's document stream with room to hand one document back: the one
 * that would push a batch past the byte limit waits for the next batch, as
 * mongod stashes it.
 */
export class BatchIterator implements Iterator<Buffer> {
  private held: Buffer | undefined;

  constructor(private readonly source: Iterator<Buffer>) {}

  next(): IteratorResult<Buffer> {
    const h = this.held;
    if (h) {
      this.held = undefined;
      return { done: false, value: h };
    }
    return this.source.next();
  }

  unshift(doc: Buffer): void {
    this.held = doc;
  }

  return(): IteratorResult<Buffer> {
    this.held = undefined;
    this.source.return?.(undefined);
    return { done: true, value: undefined };
  }
}

/** Bytes a document adds to a reply batch (the document plus its array element header). */
const ELEMENT_OVERHEAD = 8;

/**
 * Pull up to `size` documents (0 = unlimited) while the batch stays within
 * `maxBytes` (MongoDB's 16 MiB); a single larger document still goes alone.
 */
export function takeBatch(it: BatchIterator, size: number, maxBytes = MAX_BATCH_BYTES): Batch {
  const docs: Buffer[] = [];
  let bytes = 0;
  const limit = size > 0 ? size : Infinity;
  while (docs.length < limit) {
    const r = it.next();
    if (r.done) return { docs, exhausted: true };
    const cost = r.value.length + ELEMENT_OVERHEAD;
    if (docs.length > 0 && bytes + cost > maxBytes) {
      it.unshift(r.value);
      break;
    }
    docs.push(r.value);
    bytes += cost;
  }
  return { docs, exhausted: false };
}

export class CursorManager {
  private readonly cursors = new Map<bigint, ServerCursor>();

  open(ns: string, iterator: BatchIterator, batchSize: number, owner: string | null): ServerCursor {
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
