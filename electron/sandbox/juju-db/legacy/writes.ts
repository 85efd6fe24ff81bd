/**
 * OP_INSERT, OP_UPDATE and OP_DELETE as MongoDB 2.4 runs them
 * (db/instance.cpp receivedInsert/Update/Delete): no reply; the outcome goes
 * into the connection's last error for a following getLastError. Each change
 * is one oplog entry through the member's normal write path, so replication,
 * journaling and write concern are the modern profile's.
 *
 * Failures raise the last error with 2.4's codes: "not master" (10058 insert,
 * 10054 update, 10056 remove), "not authorized for insert on <ns>" (16544),
 * "not authorized for update on <ns>" (16538), "not authorized to remove
 * from <ns>" (16542), and duplicate keys as 2.4 words them:
 * `E11000 duplicate key error index: <ns>.$<index>  dup key: { : <value> }`.
 */
import { deserialize, type Document } from 'bson';
import { TYPED } from '../bson-eval';
import { ensureCollection, idElementOf, selectDocs, standalone, updateOne } from '../commands/write';
import { MongoServerError } from '../errors';
import { entryOpTime, type OplogEntry } from '../oplog';
import { ensureId } from '../raw-bson';
import { splitNs } from '../storage/catalog';
import { ensureIndexFromInsert } from './catalog';
import type { LegacyContext } from './context';
import { DELETE_SINGLE_REMOVE, INSERT_CONTINUE_ON_ERROR, UPDATE_MULTI, UPDATE_UPSERT, type LegacyDelete, type LegacyInsert, type LegacyUpdate } from './messages';
import { countOp } from './server-info';

/** 2.4's wording of a duplicate key: index namespace, two spaces, field names left out. */
export function legacyDuplicateKeyMessage(ns: string, err: MongoServerError): string {
  const m = /^E11000 duplicate key error collection: \S+ index: (\S+) dup key: (.*)$/s.exec(err.message);
  if (!m) return err.message;
  const values = m[2]!.replace(/(\{ |, )[^:{}\s,]+: /g, '$1: ');
  return `E11000 duplicate key error index: ${ns}.$${m[1]}  dup key: ${values}`;
}

function recordFailure(ctx: LegacyContext, ns: string, err: unknown): void {
  if (!(err instanceof MongoServerError)) throw err;
  const message = err.codeName === 'DuplicateKey' ? legacyDuplicateKeyMessage(ns, err) : err.message;
  ctx.session.lastError.raiseError(err.code, message);
}

/** Authorised and primary, else the last error says why (as 2.4's uasserts do). */
function allowed(ctx: LegacyContext, ns: string, auth: [number, string], notMasterCode: number): boolean {
  const le = ctx.session.lastError;
  if (!ctx.conn.user) {
    le.raiseError(auth[0], `${auth[1]} ${ns}`);
    return false;
  }
  if (!ctx.node.isPrimary) {
    le.raiseError(notMasterCode, 'not master');
    return false;
  }
  if (ns.startsWith('local.')) {
    le.raiseError(20, 'writes to the local database are not supported by the sandbox');
    return false;
  }
  return true;
}

function noteWrite(ctx: LegacyContext, entry: OplogEntry | null): void {
  if (entry) ctx.session.lastError.lastOp = entryOpTime(entry);
}

export function legacyInsert(ctx: LegacyContext, req: LegacyInsert): void {
  countOp(ctx.node, 'insert', req.documents.length);
  const ns = req.ns;
  if (!allowed(ctx, ns, [16544, 'not authorized for insert on'], 10058)) return;
  const [db, coll] = splitNs(ns);
  const continueOnError = (req.flags & INSERT_CONTINUE_ON_ERROR) !== 0;
  for (const raw of req.documents) {
    try {
      if (coll === 'system.indexes') noteWrite(ctx, ensureIndexFromInsert(ctx.node, db, raw));
      else {
        ensureCollection(ctx, ns);
        const doc = ensureId(standalone(raw));
        if (doc.length > 16 * 1024 * 1024) throw new MongoServerError('BSONObjectTooLarge', `object to insert too large${doc.length}`);
        noteWrite(ctx, ctx.node.write('i', ns, doc));
      }
    } catch (err) {
      recordFailure(ctx, ns, err);
      if (!continueOnError) return;
    }
  }
}

export function legacyUpdate(ctx: LegacyContext, req: LegacyUpdate): void {
  countOp(ctx.node, 'update');
  const ns = req.ns;
  if (!allowed(ctx, ns, [16538, 'not authorized for update on'], 10054)) return;
  try {
    const spec: Document = {
      q: deserialize(req.selector, TYPED),
      u: deserialize(req.update, TYPED),
      upsert: (req.flags & UPDATE_UPSERT) !== 0,
      multi: (req.flags & UPDATE_MULTI) !== 0,
    };
    const r = updateOne(ctx, ns, spec);
    noteWrite(ctx, r.last);
    ctx.session.lastError.recordUpdate(r.n > 0 && r.upserted === undefined, r.n, r.upserted);
  } catch (err) {
    recordFailure(ctx, ns, err);
  }
}

export function legacyDelete(ctx: LegacyContext, req: LegacyDelete): void {
  countOp(ctx.node, 'delete');
  const ns = req.ns;
  if (!allowed(ctx, ns, [16542, 'not authorized to remove from'], 10056)) return;
  try {
    let n = 0;
    const multi = (req.flags & DELETE_SINGLE_REMOVE) === 0;
    for (const raw of selectDocs(ctx, ns, deserialize(req.selector, TYPED), multi)) {
      noteWrite(ctx, ctx.node.write('d', ns, idElementOf(raw)));
      n++;
    }
    ctx.session.lastError.recordDelete(n);
  } catch (err) {
    recordFailure(ctx, ns, err);
  }
}
