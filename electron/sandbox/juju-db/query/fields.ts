/**
 * Which top-level fields a filter or sort reads. Evaluating a filter then
 * needs only those fields deserialised, which matters for collections of
 * large documents (GridFS chunks: the `data` field is never decoded).
 */
import type { Document } from 'bson';

const LOGICAL = new Set(['$and', '$or', '$nor']);
const IGNORED = new Set(['$comment']);

/** Top-level field names a filter reads, or null when it needs the whole document. */
export function filterFields(filter: Document): Set<string> | null {
  const out = new Set<string>();
  const visit = (f: Document): boolean => {
    for (const key of Object.keys(f)) {
      if (LOGICAL.has(key)) {
        const arr = f[key];
        if (!Array.isArray(arr)) return false;
        for (const sub of arr) if (!visit(sub as Document)) return false;
      } else if (IGNORED.has(key)) {
        continue;
      } else if (key.startsWith('$')) {
        return false;
      } else {
        out.add(key.split('.')[0]!);
      }
    }
    return true;
  };
  return visit(filter) ? out : null;
}

export function sortFields(sort: Document): Set<string> {
  return new Set(Object.keys(sort).map((k) => k.split('.')[0]!));
}

export function isEmpty(d: Document | undefined | null): boolean {
  return !d || Object.keys(d).length === 0;
}

/** The equality value for `field` in a filter (`{f: v}` or `{f: {$eq: v}}`), if any. */
export function equalityValue(filter: Document, field: string): { value: unknown } | undefined {
  if (!(field in filter)) return undefined;
  const v = filter[field];
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v as Document);
    if (keys.length === 1 && keys[0] === '$eq') return { value: (v as Document).$eq };
    if (keys.some((k) => k.startsWith('$'))) return undefined;
  }
  if (v instanceof RegExp) return undefined;
  return { value: v };
}

/** `{_id: {$in: [...]}}` values, if that is how the filter selects ids. */
export function inValues(filter: Document, field: string): unknown[] | undefined {
  const v = filter[field];
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v as Document);
    if (keys.length === 1 && keys[0] === '$in' && Array.isArray((v as Document).$in)) {
      const arr = (v as Document).$in as unknown[];
      if (arr.every((x) => !(x instanceof RegExp))) return arr;
    }
  }
  return undefined;
}
