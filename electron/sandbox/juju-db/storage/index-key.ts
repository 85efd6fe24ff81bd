/**
 * Canonical string keys for index entries, computed from eval-form values so
 * that equal values of different numeric BSON types collide as in MongoDB.
 */
import { ObjectId } from 'bson';
import { getPath } from '../bson-eval';

/** A stable string for one eval-form value. */
export function canon(v: unknown): string {
  if (v === undefined || v === null) return 'z';
  switch (typeof v) {
    case 'number':
      return 'n' + (Object.is(v, -0) ? 0 : v);
    case 'string':
      return 's' + v;
    case 'boolean':
      return v ? 'bT' : 'bF';
    case 'bigint':
      return 'n' + v.toString();
    default:
      break;
  }
  if (v instanceof Date) return 'd' + v.getTime();
  if (v instanceof ObjectId) return 'o' + v.toHexString();
  if (Array.isArray(v)) return 'a[' + v.map(canon).join(',') + ']';
  if (v instanceof Uint8Array) return 'x' + Buffer.from(v).toString('hex');
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    return '{' + Object.keys(o).map((k) => JSON.stringify(k) + ':' + canon(o[k])).join(',') + '}';
  }
  const ctor = (v as object).constructor?.name ?? 'obj';
  return ctor + ':' + String(v) + ':' + JSON.stringify(v);
}

/** The key fields of an index spec, in order (`{a: 1, 'b.c': -1}` → `['a', 'b.c']`). */
export function keyFields(key: Record<string, unknown>): string[] {
  return Object.keys(key);
}

/** Full key string of a document for an index; undefined when sparse and all fields are missing. */
export function indexKey(evalDoc: Record<string, unknown>, fields: readonly string[], sparse: boolean): string | undefined {
  const values = fields.map((f) => getPath(evalDoc, f));
  if (sparse && values.every((v) => v === undefined)) return undefined;
  return values.map(canon).join('|');
}

/**
 * Keys under which the first indexed field is looked up. Array values are
 * multikey: each element and the whole array are entries.
 */
export function firstFieldKeys(evalDoc: Record<string, unknown>, field: string): string[] {
  const v = getPath(evalDoc, field);
  if (Array.isArray(v)) return [canon(v), ...v.map(canon)];
  return [canon(v)];
}
