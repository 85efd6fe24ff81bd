/**
 * 2.4's catalog as clients see it: `<db>.system.namespaces` (`{name}` per
 * collection, `{name, options}` for collections created with options, and
 * one `db.coll.$index` entry per index) and `<db>.system.indexes` (`{v: 1,
 * key, ns, name, …}`), computed from the member's catalog, readable by
 * OP_QUERY; inserting into `system.indexes` builds an index (2.4's
 * ensureIndex). Also the storage-shaped commands 2.4 has: `listDatabases`,
 * `dbStats`, `collStats` (MMAPv1 fields: extents, file sizes, padding).
 */
import { Double, deserialize, type Document } from 'bson';
import { TYPED, num } from '../bson-eval';
import { emptySource, sourceFor } from '../commands/context';
import { MongoServerError } from '../errors';
import type { ReplicaNode } from '../node';
import type { OplogEntry } from '../oplog';
import type { ReplSetConfig } from '../replset/config';
import type { DocSource } from '../query/source';
import { StaticSource } from '../query/source';
import { toBson } from '../raw-bson';
import { splitNs, validateCollectionName } from '../storage/catalog';
import type { IndexSpec } from '../storage/collection';
import { LegacyCommandFailure } from './repl-status';
import type { LegacyContext } from './context';

interface CatalogEntry {
  name: string;
  options: Document;
  indexes: { name: string; spec: Document }[];
}

const ID_INDEX: Document = { key: { _id: 1 } };

function entries(node: ReplicaNode, db: string): CatalogEntry[] {
  const store = node.store!;
  const out: CatalogEntry[] = store.catalog.collections(db).map((c) => ({
    name: c.name,
    options: c.options,
    indexes: [{ name: '_id_', spec: ID_INDEX }, ...c.indexes.map((i) => ({ name: i.spec.name, spec: i.spec as Document }))],
  }));
  if (db === 'local') {
    // Kept virtually by the sandbox; 2.4 lists them as real collections (the oplog is capped, without an _id index).
    out.push({ name: 'oplog.rs', options: { capped: true, size: store.oplog.maxBytes, autoIndexId: false }, indexes: [] });
    out.push({ name: 'system.replset', options: {}, indexes: [{ name: '_id_', spec: ID_INDEX }] });
  }
  return out;
}

function namespaceDocs(node: ReplicaNode, db: string): Buffer[] {
  const list = entries(node, db);
  const docs: Document[] = [];
  for (const e of list) {
    docs.push(Object.keys(e.options).length ? { name: `${db}.${e.name}`, options: e.options } : { name: `${db}.${e.name}` });
    for (const i of e.indexes) docs.push({ name: `${db}.${e.name}.$${i.name}` });
  }
  if (list.length) docs.push({ name: `${db}.system.indexes` });
  return docs.map((d) => toBson(d));
}

function indexDocs(node: ReplicaNode, db: string): Buffer[] {
  const docs: Buffer[] = [];
  for (const e of entries(node, db)) {
    for (const i of e.indexes) {
      const { v: _v, key, name: _n, ns: _ns, ...rest } = i.spec;
      docs.push(toBson({ v: 1, key, ns: `${db}.${e.name}`, name: i.name, ...rest }));
    }
  }
  return docs;
}

/**
 * The replica set config as 2.4 stores it in `local.system.replset`
 * (ReplSetConfig::asBson, MemberCfg::asBson): `_id`, `version`, members
 * with only the fields that differ from their defaults; no `term`,
 * `protocolVersion` or `settings.replicaSetId`.
 */
export function legacyConfigDocument(c: ReplSetConfig): Document {
  const members = c.members.map((m) => {
    const d: Document = { _id: m._id, host: m.host };
    if (m.votes !== 1) d.votes = m.votes;
    if (m.priority !== 1) d.priority = new Double(m.priority);
    if (m.arbiterOnly) d.arbiterOnly = true;
    if (m.secondaryDelaySecs) d.slaveDelay = m.secondaryDelaySecs;
    if (m.hidden) d.hidden = true;
    if (!m.buildIndexes) d.buildIndexes = false;
    if (Object.keys(m.tags).length) d.tags = { ...m.tags };
    return d;
  });
  const doc: Document = { _id: c._id, version: c.version, members };
  const gle = c.settings.getLastErrorDefaults;
  const modes = c.settings.getLastErrorModes;
  const customGle = Object.keys(gle).length && !(num(gle.w, 1) === 1 && num(gle.wtimeout, 0) === 0 && Object.keys(gle).length <= 2);
  if (customGle || Object.keys(modes).length) doc.settings = { ...(customGle ? { getLastErrorDefaults: gle } : {}), ...(Object.keys(modes).length ? { getLastErrorModes: modes } : {}) };
  return doc;
}

/** The documents behind a namespace on 2.4, virtual system collections included. */
export function legacySourceFor(node: ReplicaNode, ns: string): DocSource {
  const [db, coll] = splitNs(ns);
  if (coll === 'system.namespaces') return new StaticSource(ns, namespaceDocs(node, db));
  if (coll === 'system.indexes') return new StaticSource(ns, indexDocs(node, db));
  if (ns === 'local.system.replset') return new StaticSource(ns, node.config ? [toBson(legacyConfigDocument(node.config))] : []);
  return sourceFor(node, ns) ?? emptySource(ns);
}

export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${typeof v === 'string' ? v : num(v)}`)
    .join('_');
}

/**
 * An insert into `<db>.system.indexes`: build the index it describes
 * (creating the collection first if needed). Returns the last oplog entry
 * written, or null when the index already existed.
 */
export function ensureIndexFromInsert(node: ReplicaNode, db: string, raw: Buffer): OplogEntry | null {
  const doc = deserialize(raw, TYPED);
  const target = doc.ns;
  if (typeof target !== 'string' || !target.startsWith(`${db}.`)) throw new MongoServerError('BadValue', 'bad add index attempt: no ns specified or ns does not match the database');
  const key = doc.key as Document | undefined;
  if (!key || typeof key !== 'object' || Object.keys(key).length === 0) throw new MongoServerError('BadValue', 'bad add index attempt: key not specified');
  const [, coll] = splitNs(target);
  validateCollectionName(db, coll);
  const normalKey: Document = {};
  for (const [k, v] of Object.entries(key)) normalKey[k] = typeof v === 'string' ? v : num(v);
  const name = typeof doc.name === 'string' && doc.name !== '' ? doc.name : defaultIndexName(normalKey);
  const { ns: _ns, key: _key, name: _name, v: _v, _id: _id, ...options } = doc;
  const spec: IndexSpec = { ...options, v: 1, key: normalKey, name };
  if (options.unique !== undefined) spec.unique = !!options.unique;
  if (options.sparse !== undefined) spec.sparse = !!options.sparse;
  const catalog = node.store!.catalog;
  let last: OplogEntry | null = null;
  if (!catalog.get(target)) last = node.write('c', `${db}.$cmd`, toBson({ create: coll }));
  if (name === '_id_') return last;
  const existing = catalog.get(target)!.indexes.find((i) => i.spec.name === name);
  if (existing && JSON.stringify(existing.spec.key) === JSON.stringify(normalKey)) return last;
  return node.write('c', `${db}.$cmd`, toBson({ createIndexes: coll, ...spec }));
}

/** MMAPv1 file sizes with --smallfiles (Juju's mongod flags): a 16 MB .ns file and data files doubling from 16 MB up to 512 MB. */
function fileSize(bytes: number): number {
  let total = 0;
  let next = 16 * 1048576;
  while (total < bytes * 1.1 + 1) {
    total += next;
    next = Math.min(next * 2, 512 * 1048576);
  }
  return total;
}

function storageSize(bytes: number): number {
  return Math.max(8192, Math.ceil((bytes * 1.2) / 4096) * 4096);
}

export function legacyListDatabases(ctx: LegacyContext): Document {
  const store = ctx.node.store!;
  const names = new Set([...store.catalog.dbs.keys(), 'local']);
  names.delete('config');
  const databases = [...names].sort().map((name) => {
    const bytes = name === 'local' ? store.oplog.sizeBytes() : store.catalog.totalBytes(name);
    const size = 16 * 1048576 + fileSize(bytes);
    return { name, sizeOnDisk: new Double(size), empty: false };
  });
  const totalSize = databases.reduce((n, d) => n + d.sizeOnDisk.valueOf(), 0);
  return { databases, totalSize: new Double(totalSize), ok: 1 };
}

export function legacyDbStats(ctx: LegacyContext): Document {
  const list = entries(ctx.node, ctx.db).filter((e) => e.name !== 'oplog.rs' || ctx.db === 'local');
  const catalog = ctx.node.store!.catalog;
  const colls = catalog.collections(ctx.db);
  const objects = colls.reduce((n, c) => n + c.docs.size, 0);
  const dataSize = catalog.totalBytes(ctx.db);
  const indexes = list.reduce((n, e) => n + e.indexes.length, 0);
  return {
    db: ctx.db,
    collections: list.length ? list.length + 1 : 0,
    objects,
    avgObjSize: new Double(objects ? dataSize / objects : 0),
    dataSize,
    storageSize: storageSize(dataSize),
    numExtents: list.length,
    indexes,
    indexSize: indexes * 8176,
    fileSize: list.length ? 16 * 1048576 + fileSize(dataSize) - 16 * 1048576 : 0,
    nsSizeMB: list.length ? 16 : 0,
    dataFileVersion: list.length ? { major: 4, minor: 5 } : {},
    ok: 1,
  };
}

export function legacyCollStats(ctx: LegacyContext): Document {
  const name = ctx.cmd.collStats ?? ctx.cmd.collstats;
  const ns = `${ctx.db}.${String(name)}`;
  const coll = ctx.node.store!.catalog.get(ns);
  if (typeof name !== 'string' || !coll) throw new LegacyCommandFailure({ ok: 0, errmsg: 'ns not found' });
  const count = coll.docs.size;
  const indexSizes: Document = { _id_: 8176 };
  for (const i of coll.indexes) indexSizes[i.spec.name] = 8176;
  return {
    ns,
    count,
    size: coll.bytes,
    avgObjSize: new Double(count ? coll.bytes / count : 0),
    storageSize: storageSize(coll.bytes),
    numExtents: 1,
    nindexes: coll.indexes.length + 1,
    lastExtentSize: storageSize(coll.bytes),
    paddingFactor: new Double(1),
    systemFlags: 1,
    userFlags: 0,
    totalIndexSize: 8176 * (coll.indexes.length + 1),
    indexSizes,
    ok: 1,
  };
}
