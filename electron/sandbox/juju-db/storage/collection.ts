/**
 * One collection's data: raw BSON buffers keyed by canonical `_id`, plus
 * secondary indexes kept as key → id maps (unique constraint and equality
 * lookups on the first key field). Buffers are never mutated, so members can
 * share them after replication or initial sync.
 */
import { randomUUID } from 'node:crypto';
import type { Document } from 'bson';
import { evalDoc, fromEval } from '../bson-eval';
import { duplicateKeyError, MongoServerError } from '../errors';
import { idKeyOf, pickFields } from '../raw-bson';
import { canon, firstFieldKeys, indexKey, keyFields } from './index-key';

export interface IndexSpec extends Document {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
}

export class CollectionIndex {
  readonly spec: IndexSpec;
  /**
   * Documents to build from on first use. Loading a member from its snapshot
   * defers every secondary index (built on the first lookup or strict write),
   * which keeps restart time proportional to bytes read, not to index work.
   */
  private pending: Map<string, Buffer> | null = null;
  readonly fields: string[];
  readonly topFields: Set<string>;
  readonly unique: boolean;
  readonly sparse: boolean;
  /** first-field canonical value → ids */
  readonly byFirst = new Map<string, Set<string>>();
  /** full key → id, for unique indexes */
  readonly uniqueKeys = new Map<string, string>();

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = keyFields(spec.key);
    this.topFields = new Set(this.fields.map((f) => f.split('.')[0]!));
    this.unique = spec.unique === true;
    this.sparse = spec.sparse === true;
  }

  /** Defer building over `docs` until the index is first needed. */
  defer(docs: Map<string, Buffer>): void {
    this.pending = docs;
    this.byFirst.clear();
    this.uniqueKeys.clear();
  }

  get built(): boolean {
    return this.pending === null;
  }

  /** Build a deferred index now (duplicates keep their first holder: the data was valid when saved). */
  ensureBuilt(): void {
    const docs = this.pending;
    if (!docs) return;
    this.pending = null;
    for (const [id, raw] of docs) {
      const keys = this.evalKeys(raw);
      if (this.conflict(keys, id) === undefined) this.add(id, keys);
    }
  }

  evalKeys(raw: Buffer): Record<string, unknown> {
    return evalDoc(pickFields(raw, this.topFields)) as Record<string, unknown>;
  }

  add(id: string, doc: Record<string, unknown>): void {
    for (const k of firstFieldKeys(doc, this.fields[0]!)) {
      let set = this.byFirst.get(k);
      if (!set) this.byFirst.set(k, (set = new Set()));
      set.add(id);
    }
    if (this.unique) {
      const key = indexKey(doc, this.fields, this.sparse);
      if (key !== undefined) this.uniqueKeys.set(key, id);
    }
  }

  remove(id: string, doc: Record<string, unknown>): void {
    for (const k of firstFieldKeys(doc, this.fields[0]!)) {
      const set = this.byFirst.get(k);
      if (set) {
        set.delete(id);
        if (set.size === 0) this.byFirst.delete(k);
      }
    }
    if (this.unique) {
      const key = indexKey(doc, this.fields, this.sparse);
      if (key !== undefined && this.uniqueKeys.get(key) === id) this.uniqueKeys.delete(key);
    }
  }

  /** The id already holding this document's unique key, other than `self`. */
  conflict(doc: Record<string, unknown>, self: string | undefined): string | undefined {
    if (!this.unique) return undefined;
    const key = indexKey(doc, this.fields, this.sparse);
    if (key === undefined) return undefined;
    const holder = this.uniqueKeys.get(key);
    return holder !== undefined && holder !== self ? holder : undefined;
  }

  /** Ids whose first indexed field equals `value` (eval form). */
  lookup(value: unknown): Set<string> | undefined {
    this.ensureBuilt();
    return this.byFirst.get(canon(value));
  }
}

export class Collection {
  readonly db: string;
  name: string;
  options: Document;
  readonly docs: Map<string, Buffer>;
  readonly indexes: CollectionIndex[] = [];
  bytes = 0;
  readonly uuid: Buffer;

  constructor(db: string, name: string, options: Document = {}, uuid?: Buffer, docs?: Map<string, Buffer>) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.uuid = uuid ?? Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
    this.docs = docs ?? new Map();
    if (docs) for (const d of docs.values()) this.bytes += d.length;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** A copy sharing the document buffers (initial sync); its indexes build on first use. */
  clone(): Collection {
    const c = new Collection(this.db, this.name, this.options, this.uuid, new Map(this.docs));
    for (const idx of this.indexes) c.addIndex(idx.spec, true);
    return c;
  }

  /** Bulk-load documents read from a snapshot into an empty collection (indexes are deferred). */
  load(ids: readonly string[], docs: readonly Buffer[]): void {
    const map = this.docs;
    let bytes = 0;
    for (let i = 0; i < ids.length; i++) {
      const d = docs[i]!;
      map.set(ids[i]!, d);
      bytes += d.length;
    }
    this.bytes += bytes;
  }

  get(id: string): Buffer | undefined {
    return this.docs.get(id);
  }

  private idDup(raw: Buffer): MongoServerError {
    const idVal = fromEval(evalDoc(pickFields(raw, new Set(['_id'])))._id);
    return duplicateKeyError(this.ns, '_id_', { _id: 1 }, { _id: idVal }, `{ _id: ${describe(idVal)} }`);
  }

  private uniqueDup(idx: CollectionIndex, doc: Record<string, unknown>): MongoServerError {
    const keyValue: Record<string, unknown> = {};
    for (const f of idx.fields) keyValue[f] = fromEval(fieldValue(doc, f));
    const text = '{ ' + idx.fields.map((f) => `${f}: ${describe(keyValue[f])}`).join(', ') + ' }';
    return duplicateKeyError(this.ns, idx.spec.name, idx.spec.key, keyValue, text);
  }

  /** Indexes that must be maintained on this write (strict writes build deferred ones first). */
  private live(strict: boolean): CollectionIndex[] {
    if (strict) for (const idx of this.indexes) idx.ensureBuilt();
    return this.indexes.some((i) => !i.built) ? this.indexes.filter((i) => i.built) : this.indexes;
  }

  /**
   * Insert a document. `strict` (primary writes) builds deferred indexes so
   * unique constraints hold; replay and replication leave them deferred.
   */
  insert(raw: Buffer, strict = true): string {
    const id = idKeyOf(raw);
    if (id === undefined) throw new MongoServerError('InvalidIdField', 'document is missing _id');
    if (this.docs.has(id)) throw this.idDup(raw);
    const indexes = this.live(strict);
    const keyed = indexes.map((idx) => idx.evalKeys(raw));
    indexes.forEach((idx, i) => {
      if (idx.conflict(keyed[i]!, undefined) !== undefined) throw this.uniqueDup(idx, keyed[i]!);
    });
    indexes.forEach((idx, i) => idx.add(id, keyed[i]!));
    this.docs.set(id, raw);
    this.bytes += raw.length;
    return id;
  }

  replace(id: string, raw: Buffer, strict = true): void {
    const old = this.docs.get(id);
    if (!old) {
      this.insert(raw, strict);
      return;
    }
    const indexes = this.live(strict);
    const oldKeys = indexes.map((idx) => idx.evalKeys(old));
    const newKeys = indexes.map((idx) => idx.evalKeys(raw));
    indexes.forEach((idx, i) => {
      if (idx.conflict(newKeys[i]!, id) !== undefined) throw this.uniqueDup(idx, newKeys[i]!);
    });
    indexes.forEach((idx, i) => {
      idx.remove(id, oldKeys[i]!);
      idx.add(id, newKeys[i]!);
    });
    this.docs.set(id, raw);
    this.bytes += raw.length - old.length;
  }

  delete(id: string): boolean {
    const old = this.docs.get(id);
    if (!old) return false;
    for (const idx of this.indexes) if (idx.built) idx.remove(id, idx.evalKeys(old));
    this.docs.delete(id);
    this.bytes -= old.length;
    return true;
  }

  /**
   * Add a secondary index, building it over existing documents (fails on
   * unique violations), or deferring the build (`lazy`, when loading saved data).
   */
  addIndex(spec: IndexSpec, lazy = false): void {
    const idx = new CollectionIndex(spec);
    if (lazy) {
      idx.defer(this.docs);
      this.indexes.push(idx);
      return;
    }
    for (const [id, raw] of this.docs) {
      const keys = idx.evalKeys(raw);
      if (idx.conflict(keys, id) !== undefined) throw this.uniqueDup(idx, keys);
      idx.add(id, keys);
    }
    this.indexes.push(idx);
  }

  dropIndex(name: string): boolean {
    const i = this.indexes.findIndex((x) => x.spec.name === name);
    if (i < 0) return false;
    this.indexes.splice(i, 1);
    return true;
  }

  indexSpecs(): IndexSpec[] {
    return [{ v: 2, key: { _id: 1 }, name: '_id_' }, ...this.indexes.map((i) => i.spec)];
  }
}

function fieldValue(doc: Record<string, unknown>, path: string): unknown {
  let cur: unknown = doc;
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur === undefined ? null : cur;
}

/** Render a key value roughly as mongod's error messages do. */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object' && v.constructor?.name === 'ObjectId') return `ObjectId('${String(v)}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

