/**
 * `--oplogReplay`: the entries of a dump's `oplog.bson` applied in order to
 * the restored data, as mongorestore applies them (2.4: one `applyOps` per
 * entry against the offline data files). Inserts and updates are applied
 * idempotently (an insert of an existing `_id` replaces it, an update with
 * `b: true` upserts), deletes by `_id`, commands as 2.4's applyOps runs
 * them; 2.4 builds indexes by inserting into `<db>.system.indexes`, which is
 * an index build here too. Nothing is written to the member's own oplog: an
 * offline restore runs without replication.
 */
import { deserialize, type Document, type Timestamp } from 'bson';
import { TYPED } from '../bson-eval';
import { applyUpdate, buildUpsert } from '../query/update';
import { findElement, idKeyOf, idKeyOfValue } from '../raw-bson';
import { splitNs } from '../storage/catalog';
import type { IndexSpec } from '../storage/collection';
import type { DataStore } from '../storage/data-store';
import { RestoreError } from './dump-files';

/** Commands an oplog may carry that the replay applies (2.4 names and later ones). */
const COMMANDS = new Set(['create', 'drop', 'dropDatabase', 'deleteIndexes', 'dropIndexes', 'createIndexes', 'renameCollection', 'collMod']);

function describeTs(ts: unknown): string {
  const t = ts as Timestamp | undefined;
  return t && typeof t === 'object' && 'high' in t ? `Timestamp(${t.high}, ${t.low})` : String(ts);
}

/** Applies one oplog document; throws RestoreError (mongorestore's wording) when it cannot. */
export function applyOplogDocument(store: DataStore, raw: Buffer): void {
  const e = deserialize(raw, TYPED);
  const op = e.op as string;
  const ns = e.ns as string;
  const where = `oplog entry ${describeTs(e.ts)} (${op} ${ns})`;
  const [db, coll] = splitNs(ns ?? '');
  if (op === 'n') return;
  if (typeof ns !== 'string' || !db) throw new RestoreError(`Error applying ${where}: no namespace`);
  if (db === 'local') return;
  const o = e.o as Document | undefined;
  if (!o || typeof o !== 'object') throw new RestoreError(`Error applying ${where}: no o field`);
  try {
    switch (op) {
      case 'i': {
        if (coll === 'system.indexes') {
          const { ns: target, ...spec } = o;
          store.catalog.createIndex(String(target), spec as IndexSpec);
          return;
        }
        const el = findElement(raw, 'o')!;
        const oRaw = Buffer.from(raw.subarray(el.valueStart, el.end));
        const id = idKeyOf(oRaw);
        if (id === undefined) throw new Error('document is missing _id');
        const c = store.catalog.get(ns) ?? store.catalog.create(ns);
        if (c.get(id)) c.replace(id, oRaw);
        else c.insert(oRaw);
        return;
      }
      case 'u': {
        const o2 = e.o2 as Document | undefined;
        if (!o2 || o2._id === undefined) throw new Error('update without o2._id');
        if (o.$v === 2 || o.diff !== undefined) throw new Error('delta ($v: 2) updates are not supported by this mongorestore');
        const id = idKeyOfValue(o2._id);
        const c = store.catalog.get(ns) ?? store.catalog.create(ns);
        const old = c.get(id);
        if (!old) {
          if (e.b === true) c.insert(buildUpsert({ _id: o2._id }, o, undefined));
          return;
        }
        c.replace(id, applyUpdate(old, o, undefined));
        return;
      }
      case 'd': {
        if (o._id === undefined) throw new Error('delete without _id');
        store.catalog.get(ns)?.delete(idKeyOfValue(o._id));
        return;
      }
      case 'c':
        applyCommand(store, db, o);
        return;
      default:
        throw new Error(`unknown op type ${JSON.stringify(op)}`);
    }
  } catch (err) {
    if (err instanceof RestoreError) throw err;
    throw new RestoreError(`Error applying ${where}: ${(err as Error).message}`);
  }
}

function applyCommand(store: DataStore, db: string, cmd: Document): void {
  const name = Object.keys(cmd)[0] ?? '';
  if (!COMMANDS.has(name)) throw new Error(`no such cmd: ${name}`);
  const cat = store.catalog;
  switch (name) {
    case 'create': {
      const { create, ...options } = cmd;
      cat.create(`${db}.${String(create)}`, options);
      return;
    }
    case 'drop':
      cat.drop(`${db}.${String(cmd.drop)}`);
      return;
    case 'dropDatabase':
      cat.dropDatabase(db);
      return;
    case 'deleteIndexes':
    case 'dropIndexes': {
      const c = cat.get(`${db}.${String(cmd[name])}`);
      const index = cmd.index;
      if (!c) return;
      if (index === '*') for (const spec of c.indexes.map((x) => x.spec.name)) c.dropIndex(spec);
      else if (typeof index === 'string') c.dropIndex(index);
      else {
        const match = c.indexes.find((x) => JSON.stringify(x.spec.key) === JSON.stringify(index));
        if (match) c.dropIndex(match.spec.name);
      }
      return;
    }
    case 'createIndexes': {
      const target = `${db}.${String(cmd.createIndexes)}`;
      const specs = (cmd.indexes as Document[] | undefined) ?? [cmd];
      for (const s of specs) {
        const { createIndexes: _c, ns: _ns, ...spec } = s;
        cat.createIndex(target, spec as IndexSpec);
      }
      return;
    }
    case 'renameCollection': {
      const from = cat.get(String(cmd.renameCollection));
      if (!from) throw new Error(`source namespace does not exist: ${String(cmd.renameCollection)}`);
      if (cmd.dropTarget) cat.drop(String(cmd.to));
      const to = cat.create(String(cmd.to), from.options, true);
      for (const raw of from.docs.values()) to.insert(raw, false);
      for (const spec of from.indexes) to.addIndex(spec.spec);
      cat.drop(String(cmd.renameCollection));
      return;
    }
    case 'collMod':
      // Options only (usePowerOf2Sizes, TTL changes): nothing the sandbox's storage keeps.
      return;
  }
}
