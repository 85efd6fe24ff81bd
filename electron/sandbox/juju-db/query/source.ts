/**
 * Where a query reads documents from: a real collection (with `_id` and
 * secondary-index shortcuts) or one of the virtual collections of the
 * `local` database (the oplog, the replica set config).
 */
import type { Document } from 'bson';
import { fromEval } from '../bson-eval';
import { serializeEntry, tsKey, type Oplog } from '../oplog';
import { idKeyOfValue } from '../raw-bson';
import type { Collection } from '../storage/collection';
import { equalityValue, inValues } from './fields';
import { OrderedTimestamp } from '../bson-eval';

export interface DocSource {
  readonly ns: string;
  /** All documents in natural order (or reversed). */
  scan(reverse: boolean): Iterable<Buffer>;
  /** A narrower candidate set for this (eval-form) filter, when an index applies. */
  candidates(filter: Document): Iterable<Buffer> | undefined;
  /** Document count without reading documents. */
  size(): number;
}

export class CollectionSource implements DocSource {
  constructor(readonly coll: Collection) {}

  get ns(): string {
    return this.coll.ns;
  }

  *scan(reverse: boolean): Iterable<Buffer> {
    if (!reverse) {
      yield* this.coll.docs.values();
      return;
    }
    const all = [...this.coll.docs.values()];
    for (let i = all.length - 1; i >= 0; i--) yield all[i]!;
  }

  candidates(filter: Document): Iterable<Buffer> | undefined {
    const docs = this.coll.docs;
    const eq = equalityValue(filter, '_id');
    if (eq && !isPlainObject(eq.value)) {
      const d = docs.get(idKeyOfValue(fromEval(eq.value)));
      return d ? [d] : [];
    }
    const ins = inValues(filter, '_id');
    if (ins) {
      const seen = new Set<string>();
      const out: Buffer[] = [];
      for (const v of ins) {
        const k = idKeyOfValue(fromEval(v));
        if (seen.has(k)) continue;
        seen.add(k);
        const d = docs.get(k);
        if (d) out.push(d);
      }
      return out;
    }
    for (const idx of this.coll.indexes) {
      const e = equalityValue(filter, idx.fields[0]!);
      if (e && !isPlainObject(e.value) && !Array.isArray(e.value)) {
        const ids = idx.lookup(e.value);
        if (!ids) return [];
        const list = [...ids];
        return (function* () {
          for (const id of list) {
            const d = docs.get(id);
            if (d) yield d;
          }
        })();
      }
    }
    return undefined;
  }

  size(): number {
    return this.coll.docs.size;
  }
}

function isPlainObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** `local.oplog.rs`: serialises entries lazily; `ts` ranges use binary search. */
export class OplogSource implements DocSource {
  readonly ns = 'local.oplog.rs';
  constructor(private readonly oplog: Oplog) {}

  *scan(reverse: boolean): Iterable<Buffer> {
    for (const e of this.oplog.iterate(0, reverse)) yield serializeEntry(e);
  }

  candidates(filter: Document): Iterable<Buffer> | undefined {
    const ts = filter.ts;
    if (!ts || typeof ts !== 'object') return undefined;
    const bound = (ts as Document).$gt ?? (ts as Document).$gte ?? (ts instanceof OrderedTimestamp ? ts : undefined);
    if (!(bound instanceof OrderedTimestamp)) return undefined;
    const from = this.oplog.lowerBound(tsKey(bound.ts));
    const oplog = this.oplog;
    return (function* () {
      for (const e of oplog.iterate(from)) yield serializeEntry(e);
    })();
  }

  size(): number {
    return this.oplog.length;
  }
}

/** A fixed list of documents (e.g. `local.system.replset`). */
export class StaticSource implements DocSource {
  constructor(
    readonly ns: string,
    private readonly docs: Buffer[],
  ) {}
  scan(reverse: boolean): Iterable<Buffer> {
    return reverse ? [...this.docs].reverse() : this.docs;
  }
  candidates(): undefined {
    return undefined;
  }
  size(): number {
    return this.docs.length;
  }
}
