/**
 * Reads over the legacy protocol, as MongoDB 2.4 serves them
 * (db/ops/query.cpp runQuery, db/instance.cpp receivedGetMore): OP_QUERY on
 * a collection namespace with a bare filter or a `$query`/`query` wrapper
 * (`$orderby`, `$explain`, `$hint`, `$maxScan`, `$snapshot`, `$comment`,
 * `$readPreference` accepted), the returnFieldsSelector as projection,
 * numberToSkip, and numberToReturn as 2.4 reads it: 0 = first batch of 101
 * documents or 1 MB, n > 1 = n documents, 1 or negative = one batch and the
 * cursor closed. Replies are OP_REPLY with the cursor id; OP_GET_MORE
 * continues (4 MB batches by default) and answers CursorNotFound (flag 1)
 * for an unknown cursor; OP_KILL_CURSORS closes. Failures are QueryFailure
 * replies `{$err, code}`: "not master and slaveOk=false" (13435) on a
 * secondary without SlaveOk, "not authorized for query on <ns>" (16550).
 * Cursors and the query engine are the modern profile's.
 */
import { type Document } from 'bson';
import { flag, toEval } from '../bson-eval';
import { BatchIterator, takeBatch, type ServerCursor } from '../cursors';
import { MongoServerError } from '../errors';
import { MemberState } from '../replset/member-state';
import { runFind } from '../query/find';
import { toBson } from '../raw-bson';
import { splitNs } from '../storage/catalog';
import { legacySourceFor } from './catalog';
import type { LegacyContext } from './context';
import { QUERY_SLAVE_OK, REPLY_CURSOR_NOT_FOUND, REPLY_QUERY_FAILURE, type LegacyGetMore, type LegacyKillCursors, type LegacyQuery } from './messages';
import { countOp } from './server-info';

export interface LegacyReply {
  readonly docs: Buffer[];
  readonly cursorId?: bigint;
  readonly flags?: number;
  readonly startingFrom?: number;
}

const FIRST_BATCH_DOCS = 101;
const FIRST_BATCH_BYTES = 1024 * 1024;
/** MaxBytesToReturnToClientAtOnce. */
const BATCH_BYTES = 4 * 1024 * 1024;

/** Documents a cursor has returned so far (OP_REPLY startingFrom). */
const positions = new WeakMap<ServerCursor, number>();

export function queryFailure(message: string, code: number): LegacyReply {
  return { docs: [toBson({ $err: message, code })], flags: REPLY_QUERY_FAILURE };
}

interface ParsedQuery {
  filter: Document;
  orderby: Document | undefined;
  explain: boolean;
}

/** ParsedQuery::init: a `query`/`$query` object wraps the filter and carries the `$` options. */
function parseQuery(q: Document): ParsedQuery {
  const wrapped = q.$query ?? q.query;
  if (wrapped === undefined || wrapped === null || typeof wrapped !== 'object' || Array.isArray(wrapped)) {
    return { filter: q, orderby: undefined, explain: false };
  }
  const orderby = (q.$orderby ?? q.orderby) as Document | undefined;
  return { filter: wrapped as Document, orderby: orderby && Object.keys(orderby).length ? orderby : undefined, explain: flag(q.$explain) };
}

/** Reads are allowed on the primary, on a secondary with SlaveOk, and always in `local` (2.4's replVerifyReadsOk). */
function readRefusal(ctx: LegacyContext, ns: string, flags: number): LegacyReply | undefined {
  if (!ctx.conn.user) return queryFailure(`not authorized for query on ${ns}`, 16550);
  if (ns.startsWith('local.')) return undefined;
  const state = ctx.node.state;
  if (state === MemberState.PRIMARY) return undefined;
  if (state === MemberState.SECONDARY) return flags & QUERY_SLAVE_OK ? undefined : queryFailure('not master and slaveOk=false', 13435);
  return queryFailure('not master or secondary; cannot currently read from this replSet member', 13436);
}

export function legacyQuery(ctx: LegacyContext, req: LegacyQuery, query: Document, fields: Document | undefined): LegacyReply {
  countOp(ctx.node, 'query');
  const ns = req.ns;
  const refused = readRefusal(ctx, ns, req.flags);
  if (refused) return refused;
  const parsed = parseQuery(query);
  let iter: Iterator<Buffer>;
  try {
    iter = runFind(legacySourceFor(ctx.node, ns), {
      filter: Object.keys(parsed.filter).length ? (toEval(parsed.filter) as Document) : undefined,
      sort: parsed.orderby ? (toEval(parsed.orderby) as Document) : undefined,
      projection: fields,
      skip: Math.max(0, req.numberToSkip),
    });
  } catch (err) {
    if (err instanceof MongoServerError) return queryFailure(err.message, err.code);
    throw err;
  }
  if (parsed.explain) return explain(iter, ns);
  const ntoreturn = req.numberToReturn;
  const single = ntoreturn < 0 || ntoreturn === 1;
  const size = ntoreturn === 0 ? FIRST_BATCH_DOCS : Math.abs(ntoreturn);
  const it = new BatchIterator(iter);
  const batch = takeBatch(it, size, ntoreturn === 0 ? FIRST_BATCH_BYTES : BATCH_BYTES);
  if (batch.exhausted || single) {
    it.return();
    return { docs: batch.docs };
  }
  const cursor = ctx.node.cursors.open(ns, it, 0, ctx.conn.user);
  positions.set(cursor, batch.docs.length);
  return { docs: batch.docs, cursorId: cursor.id };
}

function explain(iter: Iterator<Buffer>, ns: string): LegacyReply {
  let n = 0;
  for (let r = iter.next(); !r.done; r = iter.next()) n++;
  const [db] = splitNs(ns);
  return {
    docs: [
      toBson({
        cursor: 'BasicCursor',
        isMultiKey: false,
        n,
        nscannedObjects: n,
        nscanned: n,
        nscannedObjectsAllPlans: n,
        nscannedAllPlans: n,
        scanAndOrder: false,
        indexOnly: false,
        nYields: 0,
        nChunkSkips: 0,
        millis: 0,
        indexBounds: {},
        server: `juju-db:${db}`,
      }),
    ],
  };
}

export function legacyGetMore(ctx: LegacyContext, req: LegacyGetMore): LegacyReply {
  countOp(ctx.node, 'getmore');
  if (!ctx.conn.user) return queryFailure(`not authorized for getmore on ${req.ns}`, 16548);
  let cursor: ServerCursor;
  try {
    cursor = ctx.node.cursors.get(req.cursorId, req.ns);
  } catch {
    return { docs: [], flags: REPLY_CURSOR_NOT_FOUND };
  }
  const startingFrom = positions.get(cursor) ?? 0;
  const batch = takeBatch(cursor.iterator, Math.abs(req.numberToReturn), BATCH_BYTES);
  positions.set(cursor, startingFrom + batch.docs.length);
  if (batch.exhausted) ctx.node.cursors.kill(cursor.id);
  return { docs: batch.docs, cursorId: batch.exhausted ? 0n : cursor.id, startingFrom };
}

export function legacyKillCursors(ctx: LegacyContext, req: LegacyKillCursors): void {
  for (const id of req.cursorIds) ctx.node.cursors.kill(id);
}

