/**
 * A member's databases and collections. Creation, dropping and index changes
 * go through here so the oplog applier and the command handlers share one
 * set of rules (namespace validity, implicit `_id` index, uniqueness).
 */
import type { Document } from 'bson';
import { MongoServerError } from '../errors';
import { Collection, type IndexSpec } from './collection';

export function splitNs(ns: string): [string, string] {
  const i = ns.indexOf('.');
  if (i <= 0) return [ns, ''];
  return [ns.slice(0, i), ns.slice(i + 1)];
}

export function validateCollectionName(db: string, name: string): void {
  if (!name || name.includes('$') || name.startsWith('.') || name.includes('\0')) {
    throw new MongoServerError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
  if (!db || /[/\\. "$]/.test(db)) throw new MongoServerError('InvalidNamespace', `Invalid database name: '${db}'`);
}

export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();

  get(ns: string): Collection | undefined {
    const [db, coll] = splitNs(ns);
    return this.dbs.get(db)?.get(coll);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  all(): Collection[] {
    const out: Collection[] = [];
    for (const m of this.dbs.values()) out.push(...m.values());
    return out;
  }

  /** Create (or return) a collection; `exclusive` makes an existing one an error as `create` does. */
  create(ns: string, options: Document = {}, exclusive = false, uuid?: Buffer): Collection {
    const [db, name] = splitNs(ns);
    validateCollectionName(db, name);
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    const existing = colls.get(name);
    if (existing) {
      if (exclusive) throw new MongoServerError('NamespaceExists', `Collection ${ns} already exists.`);
      return existing;
    }
    const c = new Collection(db, name, options, uuid);
    colls.set(name, c);
    return c;
  }

  drop(ns: string): boolean {
    const [db, name] = splitNs(ns);
    const colls = this.dbs.get(db);
    if (!colls?.delete(name)) return false;
    if (colls.size === 0) this.dbs.delete(db);
    return true;
  }

  dropDatabase(db: string): boolean {
    return this.dbs.delete(db);
  }

  createIndex(ns: string, spec: IndexSpec): boolean {
    const coll = this.create(ns);
    if (spec.name === '_id_') return false;
    const same = coll.indexes.find((i) => i.spec.name === spec.name);
    if (same) {
      if (JSON.stringify(same.spec.key) !== JSON.stringify(spec.key) || !!same.spec.unique !== !!spec.unique) {
        throw new MongoServerError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(same.spec)}`);
      }
      return false;
    }
    const sameKey = coll.indexes.find((i) => JSON.stringify(i.spec.key) === JSON.stringify(spec.key));
    if (sameKey) {
      if (!!sameKey.spec.unique !== !!spec.unique) {
        throw new MongoServerError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameKey.spec)}`);
      }
      return false;
    }
    coll.addIndex(spec);
    return true;
  }

  /** A copy sharing every document buffer (initial sync). */
  clone(): Catalog {
    const c = new Catalog();
    for (const [db, colls] of this.dbs) {
      const m = new Map<string, Collection>();
      for (const [name, coll] of colls) m.set(name, coll.clone());
      c.dbs.set(db, m);
    }
    return c;
  }

  totalBytes(db?: string): number {
    let n = 0;
    for (const [name, colls] of this.dbs) {
      if (db !== undefined && name !== db) continue;
      for (const c of colls.values()) n += c.bytes;
    }
    return n;
  }
}
