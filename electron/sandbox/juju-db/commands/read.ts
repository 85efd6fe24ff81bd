/**
 * Reads: `find`, `getMore`, `killCursors`, `count`, `distinct`, `aggregate`.
 * Results come from lazy generators held by server cursors; reply batches
 * are assembled from raw document buffers.
 */
import { Long, type Document } from 'bson';
import { evalDoc, flag, fromEval, getPath, num, toEval } from '../bson-eval';
import { BatchIterator, takeBatch } from '../cursors';
import { MongoServerError } from '../errors';
import { runAggregate } from '../query/aggregate';
import { matching, runFind } from '../query/find';
import { isEmpty } from '../query/fields';
import { canon } from '../storage/index-key';
import { cursorReplyChunks, RawReply } from '../raw-bson';
import { collectionName, emptySource, requireReadable, sourceFor, type CommandContext, type CommandSpec, type Reply } from './context';

const DEFAULT_FIRST_BATCH = 101;

function cursorId(v: unknown): bigint {
  if (v instanceof Long) return v.toBigInt();
  if (typeof v === 'bigint') return v;
  return BigInt(Math.trunc(num(v)));
}

/** Open a cursor over `iter` and return the first-batch reply. */
function firstBatchReply(ctx: CommandContext, ns: string, source: Iterator<Buffer>, batchSize: number, singleBatch: boolean): RawReply {
  const iter = new BatchIterator(source);
  const batch = takeBatch(iter, batchSize);
  let id = 0n;
  if (!batch.exhausted && !singleBatch) id = ctx.node.cursors.open(ns, iter, 0, ctx.conn.user).id;
  else iter.return();
  return new RawReply(cursorReplyChunks(id, ns, 'firstBatch', batch.docs));
}

function find(ctx: CommandContext): Reply {
  requireReadable(ctx);
  const ns = `${ctx.db}.${collectionName(ctx)}`;
  const cmd = ctx.cmd;
  const source = sourceFor(ctx.node, ns) ?? emptySource(ns);
  const limit = num(cmd.limit, 0);
  const batchSize = cmd.batchSize === undefined ? DEFAULT_FIRST_BATCH : num(cmd.batchSize);
  if (batchSize < 0) throw new MongoServerError('BadValue', 'BatchSize value must be non-negative');
  const iter = runFind(source, {
    filter: cmd.filter ? (toEval(cmd.filter) as Document) : undefined,
    sort: cmd.sort ? (toEval(cmd.sort) as Document) : undefined,
    projection: cmd.projection as Document | undefined,
    skip: num(cmd.skip, 0),
    limit: Math.abs(limit),
  });
  const single = flag(cmd.singleBatch) || limit < 0;
  const first = limit !== 0 && (batchSize === 0 || Math.abs(limit) < batchSize) ? Math.abs(limit) : batchSize;
  return firstBatchReply(ctx, ns, iter, first, single);
}

function getMore(ctx: CommandContext): Reply {
  const id = cursorId(ctx.cmd.getMore);
  const ns = `${ctx.db}.${ctx.cmd.collection as string}`;
  const cursor = ctx.node.cursors.get(id, ns);
  const batch = takeBatch(cursor.iterator, num(ctx.cmd.batchSize, 0));
  if (batch.exhausted) ctx.node.cursors.kill(id);
  return new RawReply(cursorReplyChunks(batch.exhausted ? 0n : id, ns, 'nextBatch', batch.docs));
}

function killCursors(ctx: CommandContext): Document {
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const v of (ctx.cmd.cursors as unknown[]) ?? []) {
    const id = cursorId(v);
    (ctx.node.cursors.kill(id) ? killed : notFound).push(Long.fromBigInt(id));
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

function count(ctx: CommandContext): Document {
  requireReadable(ctx);
  const ns = `${ctx.db}.${collectionName(ctx)}`;
  const source = sourceFor(ctx.node, ns);
  if (!source) return { n: 0, ok: 1 };
  const query = ctx.cmd.query as Document | undefined;
  const skip = num(ctx.cmd.skip, 0);
  const limit = Math.abs(num(ctx.cmd.limit, 0));
  let n: number;
  if (isEmpty(query)) n = source.size();
  else {
    n = 0;
    for (const _ of matching(source, toEval(query) as Document)) n++;
  }
  n = Math.max(0, n - skip);
  if (limit > 0) n = Math.min(n, limit);
  return { n, ok: 1 };
}

function distinct(ctx: CommandContext): Document {
  requireReadable(ctx);
  const ns = `${ctx.db}.${collectionName(ctx)}`;
  const key = ctx.cmd.key as string;
  if (typeof key !== 'string') throw new MongoServerError('TypeMismatch', "BSON field 'distinct.key' is the wrong type, expected type 'string'");
  const source = sourceFor(ctx.node, ns);
  const seen = new Map<string, unknown>();
  if (source) {
    const q = ctx.cmd.query as Document | undefined;
    for (const raw of matching(source, q ? (toEval(q) as Document) : undefined)) {
      const v = getPath(evalDoc(raw), key);
      for (const x of Array.isArray(v) ? v : [v]) {
        if (x === undefined) continue;
        const k = canon(x);
        if (!seen.has(k)) seen.set(k, x);
      }
    }
  }
  return { values: [...seen.values()].map(fromEval), ok: 1 };
}

function aggregate(ctx: CommandContext): Reply {
  requireReadable(ctx);
  const target = ctx.cmd.aggregate;
  if (typeof target !== 'string') throw new MongoServerError('InvalidNamespace', `aggregate with no collection is not supported by the sandbox juju-db`);
  const ns = `${ctx.db}.${target}`;
  const pipeline = ctx.cmd.pipeline;
  if (!Array.isArray(pipeline)) throw new MongoServerError('TypeMismatch', "'pipeline' option must be specified as an array");
  if (ctx.cmd.explain) throw new MongoServerError('IllegalOperation', 'explain is not supported by the sandbox juju-db');
  const source = sourceFor(ctx.node, ns) ?? emptySource(ns);
  const node = ctx.node;
  const resolver = (name: string): Document[] => {
    const s = sourceFor(node, `${ctx.db}.${name}`);
    const out: Document[] = [];
    if (s) for (const raw of s.scan(false)) out.push(evalDoc(raw));
    return out;
  };
  const iter = runAggregate(source, pipeline as Document[], resolver);
  const cursorOpts = (ctx.cmd.cursor as Document | undefined) ?? {};
  const batchSize = cursorOpts.batchSize === undefined ? DEFAULT_FIRST_BATCH : num(cursorOpts.batchSize);
  return firstBatchReply(ctx, ns, iter, batchSize, false);
}

export const readCommands: Record<string, CommandSpec> = {
  find: { handler: find },
  getMore: { handler: getMore },
  killCursors: { handler: killCursors },
  count: { handler: count },
  distinct: { handler: distinct },
  aggregate: { handler: aggregate },
};

