/**
 * Catalog commands: databases, collections and indexes. Changes are logged
 * as `c` oplog entries (`create`, `drop`, `createIndexes`, …) so they
 * replicate like data.
 */
import { Binary, type Document } from 'bson';
import { flag, num, toEval } from '../bson-eval';
import { MongoServerError } from '../errors';
import { Query } from 'mingo';
import type { OplogEntry } from '../oplog';
import { validateCollectionName } from '../storage/catalog';
import type { IndexSpec } from '../storage/collection';
import { cursorReply, toBson } from '../raw-bson';
import { awaitWriteConcern, collectionName, nsOf, requirePrimary, type CommandContext, type CommandSpec, type Reply } from './context';

const VIRTUAL_LOCAL = ['oplog.rs', 'system.replset'];

async function withWc(ctx: CommandContext, reply: Document, last: OplogEntry | null): Promise<Document> {
  const wce = await awaitWriteConcern(ctx, last ? { ts: last.ts, t: last.t } : null);
  return wce ? { ...reply, writeConcernError: wce } : reply;
}

async function create(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const name = collectionName(ctx);
  validateCollectionName(ctx.db, name);
  if (ctx.node.store!.catalog.get(`${ctx.db}.${name}`)) throw new MongoServerError('NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
  const { create: _c, $db: _d, lsid: _l, $clusterTime: _t, writeConcern: _w, $readPreference: _r, txnNumber: _n, ...options } = ctx.cmd;
  const last = ctx.node.write('c', `${ctx.db}.$cmd`, toBson({ create: name, ...options }));
  return withWc(ctx, { ok: 1 }, last);
}

async function drop(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const ns = nsOf(ctx);
  const coll = ctx.node.store!.catalog.get(ns);
  if (!coll) throw new MongoServerError('NamespaceNotFound', 'ns not found');
  const nIndexesWas = coll.indexes.length + 1;
  const last = ctx.node.write('c', `${ctx.db}.$cmd`, toBson({ drop: coll.name }));
  return withWc(ctx, { nIndexesWas, ns, ok: 1 }, last);
}

async function dropDatabase(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  if (ctx.db === 'admin' || ctx.db === 'local' || ctx.db === 'config') {
    throw new MongoServerError('IllegalOperation', `Dropping the '${ctx.db}' database is prohibited.`);
  }
  let last: OplogEntry | null = null;
  if (ctx.node.store!.catalog.dbs.has(ctx.db)) last = ctx.node.write('c', `${ctx.db}.$cmd`, toBson({ dropDatabase: 1 }));
  return withWc(ctx, { dropped: ctx.db, ok: 1 }, last);
}

function matchFilter(docs: Document[], filter: unknown): Document[] {
  if (!filter || Object.keys(filter as Document).length === 0) return docs;
  const q = new Query(toEval(filter) as Document);
  return docs.filter((d) => q.test(toEval(d) as Document));
}

function listDatabases(ctx: CommandContext): Document {
  const catalog = ctx.node.store!.catalog;
  const names = new Set([...catalog.dbs.keys(), 'admin', 'local', 'config']);
  const dbs: Document[] = [...names].sort().map((name) => {
    const bytes = name === 'local' ? ctx.node.store!.oplog.sizeBytes() : catalog.totalBytes(name);
    const sizeOnDisk = Math.max(4096, Math.ceil(bytes / 4096) * 4096 + 4096 * catalog.collections(name).length);
    return { name, sizeOnDisk, empty: bytes === 0 };
  });
  const filtered = matchFilter(dbs, ctx.cmd.filter);
  const totalSize = filtered.reduce((n, d) => n + (d.sizeOnDisk as number), 0);
  if (flag(ctx.cmd.nameOnly)) return { databases: filtered.map((d) => ({ name: d.name })), ok: 1 };
  return { databases: filtered, totalSize, totalSizeMb: Math.round(totalSize / 1048576), ok: 1 };
}

function collectionInfo(name: string, options: Document, uuid: Buffer): Document {
  return {
    name,
    type: 'collection',
    options,
    info: { readOnly: false, uuid: new Binary(uuid, Binary.SUBTYPE_UUID) },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  };
}

function listCollections(ctx: CommandContext): Reply {
  const catalog = ctx.node.store!.catalog;
  let infos: Document[] = catalog.collections(ctx.db).map((c) => collectionInfo(c.name, c.options, c.uuid));
  if (ctx.db === 'local') {
    infos.push(collectionInfo('oplog.rs', { capped: true, size: ctx.node.store!.oplog.maxBytes }, Buffer.alloc(16, 1)));
    infos.push(collectionInfo('system.replset', {}, Buffer.alloc(16, 2)));
  }
  infos = matchFilter(infos, ctx.cmd.filter);
  if (flag(ctx.cmd.nameOnly)) infos = infos.map((i) => ({ name: i.name, type: i.type }));
  return cursorReply(0n, `${ctx.db}.$cmd.listCollections`, 'firstBatch', infos.map((i) => toBson(i)));
}

function listIndexes(ctx: CommandContext): Reply {
  const name = collectionName(ctx);
  const coll = ctx.node.store!.catalog.get(`${ctx.db}.${name}`);
  if (!coll) {
    if (ctx.db === 'local' && VIRTUAL_LOCAL.includes(name)) return cursorReply(0n, `${ctx.db}.${name}`, 'firstBatch', []);
    throw new MongoServerError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  }
  return cursorReply(0n, `${ctx.db}.${name}`, 'firstBatch', coll.indexSpecs().map((s) => toBson(s)));
}

function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${typeof v === 'string' ? v : num(v)}`)
    .join('_');
}

async function createIndexes(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const name = collectionName(ctx);
  const ns = `${ctx.db}.${name}`;
  const specs = ctx.cmd.indexes;
  if (!Array.isArray(specs) || specs.length === 0) throw new MongoServerError('BadValue', 'Must specify at least one index to create');
  const catalog = ctx.node.store!.catalog;
  const createdCollectionAutomatically = !catalog.get(ns);
  let last: OplogEntry | null = null;
  if (createdCollectionAutomatically) {
    validateCollectionName(ctx.db, name);
    last = ctx.node.write('c', `${ctx.db}.$cmd`, toBson({ create: name }));
  }
  const before = catalog.get(ns)!.indexes.length + 1;
  for (const raw of specs as Document[]) {
    if (!raw.key || typeof raw.key !== 'object' || Object.keys(raw.key as Document).length === 0) {
      throw new MongoServerError('BadValue', 'Index key pattern must be a non-empty object');
    }
    const key: Document = {};
    for (const [k, v] of Object.entries(raw.key as Document)) key[k] = typeof v === 'string' ? v : num(v);
    const spec: IndexSpec = { ...raw, v: 2, key, name: typeof raw.name === 'string' ? raw.name : defaultIndexName(key) };
    if (raw.unique !== undefined) spec.unique = flag(raw.unique);
    if (raw.sparse !== undefined) spec.sparse = flag(raw.sparse);
    const coll = catalog.get(ns)!;
    const exists = spec.name === '_id_' || coll.indexes.some((i) => i.spec.name === spec.name && JSON.stringify(i.spec.key) === JSON.stringify(key));
    if (exists) continue;
    // Validate on a dry run first (unique violations), then log.
    last = ctx.node.write('c', `${ctx.db}.$cmd`, toBson({ createIndexes: name, ...spec }));
  }
  const after = catalog.get(ns)!.indexes.length + 1;
  const reply: Document = { numIndexesBefore: before, numIndexesAfter: after, createdCollectionAutomatically, ok: 1 };
  if (after === before) reply.note = 'all indexes already exist';
  return withWc(ctx, reply, last);
}

async function dropIndexes(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const ns = nsOf(ctx);
  const coll = ctx.node.store!.catalog.get(ns);
  if (!coll) throw new MongoServerError('NamespaceNotFound', `ns not found ${ns}`);
  const which = ctx.cmd.index;
  const nIndexesWas = coll.indexes.length + 1;
  let names: string[];
  if (which === '*') names = coll.indexes.map((i) => i.spec.name);
  else if (typeof which === 'string') names = [which];
  else if (Array.isArray(which)) names = which as string[];
  else names = coll.indexes.filter((i) => JSON.stringify(i.spec.key) === JSON.stringify(toEval(which))).map((i) => i.spec.name);
  let last: OplogEntry | null = null;
  for (const n of names) {
    if (n === '_id_') throw new MongoServerError('InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.some((i) => i.spec.name === n)) throw new MongoServerError('IndexNotFound', `index not found with name [${n}]`);
    last = ctx.node.write('c', `${ctx.db}.$cmd`, toBson({ dropIndexes: coll.name, index: n }));
  }
  return withWc(ctx, { nIndexesWas, ok: 1 }, last);
}

function collStats(ctx: CommandContext): Document {
  const ns = nsOf(ctx);
  const coll = ctx.node.store!.catalog.get(ns);
  if (!coll) throw new MongoServerError('NamespaceNotFound', `Collection [${ns}] not found.`);
  const count = coll.docs.size;
  return {
    ns,
    size: coll.bytes,
    count,
    avgObjSize: count ? Math.round(coll.bytes / count) : 0,
    storageSize: coll.bytes,
    nindexes: coll.indexes.length + 1,
    totalIndexSize: 0,
    capped: false,
    ok: 1,
  };
}

function dbStats(ctx: CommandContext): Document {
  const catalog = ctx.node.store!.catalog;
  const colls = catalog.collections(ctx.db);
  const objects = colls.reduce((n, c) => n + c.docs.size, 0);
  const dataSize = catalog.totalBytes(ctx.db);
  return { db: ctx.db, collections: colls.length, views: 0, objects, avgObjSize: objects ? dataSize / objects : 0, dataSize, storageSize: dataSize, indexes: colls.reduce((n, c) => n + c.indexes.length + 1, 0), ok: 1 };
}

async function renameCollection(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  if (ctx.db !== 'admin') throw new MongoServerError('Unauthorized', 'renameCollection may only be run against the admin database.');
  const from = ctx.cmd.renameCollection as string;
  const to = ctx.cmd.to as string;
  const catalog = ctx.node.store!.catalog;
  if (!catalog.get(from)) throw new MongoServerError('NamespaceNotFound', 'source namespace does not exist');
  if (catalog.get(to) && !flag(ctx.cmd.dropTarget)) throw new MongoServerError('NamespaceExists', 'target namespace exists');
  const last = ctx.node.write('c', 'admin.$cmd', toBson({ renameCollection: from, to, dropTarget: flag(ctx.cmd.dropTarget) }));
  return withWc(ctx, { ok: 1 }, last);
}

export const ddlCommands: Record<string, CommandSpec> = {
  create: { handler: create },
  drop: { handler: drop },
  dropDatabase: { handler: dropDatabase },
  listDatabases: { handler: listDatabases },
  listCollections: { handler: listCollections },
  listIndexes: { handler: listIndexes },
  createIndexes: { handler: createIndexes },
  dropIndexes: { handler: dropIndexes },
  collStats: { handler: collStats },
  dbStats: { handler: dbStats },
  renameCollection: { handler: renameCollection },
};
