/**
 * `insert`, `update`, `delete` and `findAndModify`. Each change becomes one
 * oplog entry on the primary (full-document form for updates), so the same
 * entry replicates to secondaries and replays from the journal.
 */
import { deserialize, type Document } from 'bson';
import { TYPED, flag, num, toEval } from '../bson-eval';
import { MongoServerError } from '../errors';
import type { OpTime, OplogEntry } from '../oplog';
import { compileFilter, runFind } from '../query/find';
import { applyUpdate, buildUpsert } from '../query/update';
import { ensureId, findElement, toBson } from '../raw-bson';
import { validateCollectionName } from '../storage/catalog';
import {
  awaitWriteConcern,
  collectionName,
  emptySource,
  isUnacknowledged,
  nsOf,
  requirePrimary,
  sourceFor,
  type CommandContext,
  type CommandSpec,
} from './context';

interface WriteError {
  index: number;
  code: number;
  codeName?: string;
  errmsg: string;
  [k: string]: unknown;
}

function toWriteError(index: number, err: unknown): WriteError {
  if (err instanceof MongoServerError) return { index, code: err.code, codeName: err.codeName, errmsg: err.message, ...(err.extra ?? {}) };
  throw err;
}

/** Make sure the collection exists, logging an implicit `create` as mongod does. */
export function ensureCollection(ctx: CommandContext, ns: string): void {
  const store = ctx.node.store!;
  if (store.catalog.get(ns)) return;
  const [db, coll] = [ctx.db, ns.slice(ctx.db.length + 1)];
  validateCollectionName(db, coll);
  ctx.node.write('c', `${db}.$cmd`, toBson({ create: coll }));
}

export function idElementOf(raw: Buffer): Buffer {
  const el = findElement(raw, '_id')!;
  const out = Buffer.allocUnsafe(4 + (el.end - el.start) + 1);
  out.writeInt32LE(out.length, 0);
  raw.copy(out, 4, el.start, el.end);
  out[out.length - 1] = 0;
  return out;
}

export function standalone(raw: Buffer): Buffer {
  return raw.byteOffset === 0 && raw.buffer.byteLength === raw.length ? raw : Buffer.from(raw);
}

async function finish(ctx: CommandContext, reply: Document, last: OplogEntry | null): Promise<Document> {
  const wce = await awaitWriteConcern(ctx, last ? ({ ts: last.ts, t: last.t } as OpTime) : ctx.node.lastApplied);
  if (wce) reply.writeConcernError = wce;
  if (isUnacknowledged(ctx)) return { ok: 1 };
  return reply;
}

async function insert(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const ns = nsOf(ctx);
  if (ns.startsWith('local.')) throw new MongoServerError('IllegalOperation', 'writes to the local database are not supported by the sandbox');
  const docs: Buffer[] = ctx.sequences.get('documents') ?? ((ctx.cmd.documents as Document[] | undefined) ?? []).map((d) => toBson(d));
  const ordered = ctx.cmd.ordered === undefined ? true : flag(ctx.cmd.ordered);
  ensureCollection(ctx, ns);
  let n = 0;
  let last: OplogEntry | null = null;
  const writeErrors: WriteError[] = [];
  for (let i = 0; i < docs.length; i++) {
    try {
      const raw = ensureId(standalone(docs[i]!));
      if (raw.length > 16 * 1024 * 1024) throw new MongoServerError('BSONObjectTooLarge', `object to insert too large. size in bytes: ${raw.length}, max size: 16777216`);
      last = ctx.node.write('i', ns, raw);
      n++;
    } catch (err) {
      writeErrors.push(toWriteError(i, err));
      if (ordered) break;
    }
  }
  const reply: Document = { n, ok: 1 };
  if (writeErrors.length) reply.writeErrors = writeErrors;
  return finish(ctx, reply, last);
}

/** Ids (raw docs) a filter selects, materialised first so updates do not disturb the scan. */
export function selectDocs(ctx: CommandContext, ns: string, filterTyped: Document, multi: boolean, sort?: Document): Buffer[] {
  const source = sourceFor(ctx.node, ns) ?? emptySource(ns);
  const out: Buffer[] = [];
  for (const raw of runFind(source, { filter: toEval(filterTyped) as Document, sort: sort ? (toEval(sort) as Document) : undefined, limit: multi ? 0 : 1 })) out.push(raw);
  return out;
}

export interface UpdateOutcome {
  n: number;
  nModified: number;
  upserted?: unknown;
  last: OplogEntry | null;
  before?: Buffer;
  after?: Buffer;
}

export function updateOne(ctx: CommandContext, ns: string, spec: Document, sort?: Document): UpdateOutcome {
  const q = (spec.q ?? spec.query ?? {}) as Document;
  const u = (spec.u ?? spec.update) as Document | Document[];
  if (u === undefined || u === null) throw new MongoServerError('FailedToParse', "BSON field 'update.updates.u' is missing but a required field");
  const multi = flag(spec.multi);
  const arrayFilters = spec.arrayFilters as Document[] | undefined;
  compileFilter(toEval(q) as Document); // validate early
  const matched = selectDocs(ctx, ns, q, multi, sort);
  const outcome: UpdateOutcome = { n: 0, nModified: 0, last: null };
  if (matched.length === 0) {
    if (!flag(spec.upsert)) return outcome;
    ensureCollection(ctx, ns);
    const doc = buildUpsert(q, u, arrayFilters);
    outcome.last = ctx.node.write('i', ns, doc);
    outcome.n = 1;
    outcome.upserted = deserialize(idElementOf(doc), TYPED)._id;
    outcome.after = doc;
    return outcome;
  }
  for (const old of matched) {
    const next = applyUpdate(old, u, arrayFilters);
    outcome.n++;
    if (!outcome.before) outcome.before = old;
    outcome.after = next;
    if (Buffer.compare(next, old) === 0) continue;
    outcome.last = ctx.node.write('u', ns, next, idElementOf(old));
    outcome.nModified++;
  }
  return outcome;
}

async function update(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const ns = nsOf(ctx);
  const updates: Document[] = (ctx.sequences.get('updates')?.map((b) => deserialize(b, TYPED)) ?? (ctx.cmd.updates as Document[] | undefined)) ?? [];
  const ordered = ctx.cmd.ordered === undefined ? true : flag(ctx.cmd.ordered);
  let n = 0;
  let nModified = 0;
  let last: OplogEntry | null = null;
  const upserted: Document[] = [];
  const writeErrors: WriteError[] = [];
  for (let i = 0; i < updates.length; i++) {
    try {
      const r = updateOne(ctx, ns, updates[i]!);
      n += r.n;
      nModified += r.nModified;
      if (r.last) last = r.last;
      if (r.upserted !== undefined) upserted.push({ index: i, _id: r.upserted });
    } catch (err) {
      writeErrors.push(toWriteError(i, err));
      if (ordered) break;
    }
  }
  const reply: Document = { n, nModified, ok: 1 };
  if (upserted.length) reply.upserted = upserted;
  if (writeErrors.length) reply.writeErrors = writeErrors;
  return finish(ctx, reply, last);
}

async function del(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const ns = nsOf(ctx);
  const deletes: Document[] = (ctx.sequences.get('deletes')?.map((b) => deserialize(b, TYPED)) ?? (ctx.cmd.deletes as Document[] | undefined)) ?? [];
  const ordered = ctx.cmd.ordered === undefined ? true : flag(ctx.cmd.ordered);
  let n = 0;
  let last: OplogEntry | null = null;
  const writeErrors: WriteError[] = [];
  for (let i = 0; i < deletes.length; i++) {
    try {
      const spec = deletes[i]!;
      const limit = num(spec.limit, 0);
      for (const raw of selectDocs(ctx, ns, (spec.q as Document) ?? {}, limit !== 1)) {
        last = ctx.node.write('d', ns, idElementOf(raw));
        n++;
      }
    } catch (err) {
      writeErrors.push(toWriteError(i, err));
      if (ordered) break;
    }
  }
  const reply: Document = { n, ok: 1 };
  if (writeErrors.length) reply.writeErrors = writeErrors;
  return finish(ctx, reply, last);
}

function projectRaw(raw: Buffer | undefined, fields: Document | undefined): Document | null {
  if (!raw) return null;
  if (fields && Object.keys(fields).length) {
    const r = runFind({ ns: '', scan: () => [raw], candidates: () => undefined, size: () => 1 }, { projection: fields });
    const first = r.next();
    return first.done ? null : deserialize(first.value, TYPED);
  }
  return deserialize(raw, TYPED);
}

async function findAndModify(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const ns = `${ctx.db}.${collectionName(ctx)}`;
  const cmd = ctx.cmd;
  const query = (cmd.query as Document | undefined) ?? {};
  const sort = cmd.sort as Document | undefined;
  const fields = cmd.fields as Document | undefined;
  if (flag(cmd.remove)) {
    if (cmd.update !== undefined) throw new MongoServerError('FailedToParse', 'Cannot specify both an update and remove=true');
    const [victim] = selectDocs(ctx, ns, query, false, sort);
    let last: OplogEntry | null = null;
    if (victim) last = ctx.node.write('d', ns, idElementOf(victim));
    const reply = { lastErrorObject: { n: victim ? 1 : 0 }, value: projectRaw(victim, fields), ok: 1 };
    return finish(ctx, reply, last);
  }
  if (cmd.update === undefined) throw new MongoServerError('FailedToParse', 'Either an update or remove=true must be specified');
  const r = updateOne(ctx, ns, { q: query, u: cmd.update, upsert: cmd.upsert, arrayFilters: cmd.arrayFilters }, sort);
  const lastErrorObject: Document = { n: r.n, updatedExisting: r.n > 0 && r.upserted === undefined };
  if (r.upserted !== undefined) lastErrorObject.upserted = r.upserted;
  const value = flag(cmd.new) ? projectRaw(r.after, fields) : projectRaw(r.upserted !== undefined ? undefined : r.before, fields);
  return finish(ctx, { lastErrorObject, value, ok: 1 }, r.last);
}

export const writeCommands: Record<string, CommandSpec> = {
  insert: { handler: insert },
  update: { handler: update },
  delete: { handler: del },
  findAndModify: { handler: findAndModify },
  findandmodify: { handler: findAndModify },
};
