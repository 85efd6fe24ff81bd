import type { JujuDbCursor } from '../juju-db-client';
import { checkReplyFlags } from './command';
import type { LegacyConnection, RequestOptions } from './connection';
import type { ConnectionPool } from './pool';
import { encodeGetMore, encodeKillCursors, newRequestId, type Reply } from './wire';

/**
 * A legacy server-side cursor: the first batch comes from an OP_QUERY,
 * later ones from OP_GET_MORE on whichever pooled connection is free, and
 * a cursor left open (closed early, or `limit` reached while the server
 * still holds more) is killed with OP_KILL_CURSORS so the server does not
 * keep it for its 10-minute idle timeout.
 */

export interface BatchSizing {
  /** At most this many documents; 0: no limit. */
  readonly limit: number;
  /** Documents per batch; 0: the server's default. */
  readonly batchSize: number;
}

/**
 * numberToReturn of the first OP_QUERY, as the CRUD spec computes it. Legacy
 * servers read 1 as "one document, then close the cursor", so a batch size
 * of 1 (without limit 1) asks for 2; limit 1 asks for -1 (findOne). A
 * negative number for larger limits is avoided on purpose: the server would
 * silently drop whatever does not fit in its first reply (CDRIVER-411).
 */
export function firstNumberToReturn({ limit, batchSize }: BatchSizing): number {
  if (limit === 1) return -1;
  const n = limit === 0 ? batchSize : batchSize === 0 ? limit : Math.min(limit, batchSize);
  return n === 1 ? 2 : n;
}

/** numberToReturn of an OP_GET_MORE once `received` documents came in (never negative). */
export function getMoreNumberToReturn({ limit, batchSize }: BatchSizing, received: number): number {
  if (limit === 0) return batchSize;
  const remaining = limit - received;
  return batchSize === 0 ? remaining : Math.min(remaining, batchSize);
}

/** Sends OP_KILL_CURSORS (no reply comes) on a free connection; best effort. */
export async function killCursors(pool: ConnectionPool, cursorIds: readonly bigint[], options: RequestOptions): Promise<void> {
  try {
    await pool.use(options, async (connection) => connection.send(encodeKillCursors(newRequestId(), cursorIds)));
  } catch {
    // The client is closed or the server gone: the server drops the cursor itself after 10 minutes idle.
  }
}

export class LegacyCursor<T> implements JujuDbCursor<T> {
  private batch: Buffer[] = [];
  private index = 0;
  /** undefined: the first query has not been sent; 0n: the server has no cursor. */
  private cursorId: bigint | undefined;
  private received = 0;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: ConnectionPool,
    /** Namespace for OP_GET_MORE. */
    private readonly namespace: string,
    private readonly sizing: BatchSizing,
    private readonly options: RequestOptions,
    /** Sends the first query on the given connection. */
    private readonly first: (connection: LegacyConnection) => Promise<Reply>,
    private readonly decode: (raw: Buffer) => T,
  ) {}

  next(): Promise<T | null> {
    // One fetch at a time, in call order.
    const result = this.queue.then(() => this.nextNow());
    this.queue = result.catch(() => undefined);
    return result;
  }

  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for (let doc = await this.next(); doc !== null; doc = await this.next()) out.push(doc);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.batch = [];
    this.index = 0;
    await this.kill();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    try {
      for (let doc = await this.next(); doc !== null; doc = await this.next()) yield doc;
    } finally {
      await this.close();
    }
  }

  private async nextNow(): Promise<T | null> {
    for (;;) {
      if (this.closed) return null;
      const raw = this.batch[this.index];
      if (raw) {
        this.index++;
        return this.decode(raw);
      }
      if (this.cursorId === 0n) return null;
      await this.fetch();
    }
  }

  private async fetch(): Promise<void> {
    const cursorId = this.cursorId;
    let reply: Reply;
    try {
      reply = await this.pool.use(this.options, async (connection) => {
        if (cursorId === undefined) return this.first(connection);
        const requestId = newRequestId();
        const message = encodeGetMore(requestId, this.namespace, getMoreNumberToReturn(this.sizing, this.received), cursorId);
        return connection.request(message, requestId, this.options);
      });
      checkReplyFlags(reply, cursorId === undefined ? 'query' : 'getMore');
    } catch (error) {
      // The connection that held the request is gone (or the server refused): nothing left to read.
      this.cursorId = 0n;
      this.closed = true;
      throw error;
    }
    const { limit } = this.sizing;
    let documents = reply.documents;
    if (limit > 0 && this.received + documents.length > limit) documents = documents.slice(0, limit - this.received);
    this.received += documents.length;
    this.batch = documents;
    this.index = 0;
    this.cursorId = reply.cursorId;
    if (this.closed || (limit > 0 && this.received >= limit)) await this.kill();
  }

  private async kill(): Promise<void> {
    const id = this.cursorId;
    this.cursorId = 0n;
    if (id !== undefined && id !== 0n) await killCursors(this.pool, [id], { timeoutMs: this.options.timeoutMs });
  }
}
