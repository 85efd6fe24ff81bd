/**
 * Two views of every document: the *typed* view (bson wrappers kept: Int32,
 * Double, Long, Timestamp…) is what gets stored and returned, and the *eval*
 * view is what mingo evaluates. mingo compares numbers only as JS numbers and
 * other objects by `toString()`, so the eval view turns numeric wrappers into
 * numbers and wraps Timestamps and out-of-range Longs in classes whose
 * string form sorts correctly.
 */
import { Decimal128, Double, Int32, Long, Timestamp, deserialize, type Document } from 'bson';

export const TYPED: { promoteValues: false } = { promoteValues: false };

const TWO63 = 1n << 63n;

/** A Timestamp in eval form: compares by (t, i). */
export class OrderedTimestamp {
  constructor(readonly ts: Timestamp) {}
  toString(): string {
    return this.ts.t.toString(16).padStart(8, '0') + this.ts.i.toString(16).padStart(8, '0');
  }
}

/** A Long beyond 2^53 in eval form: compares numerically via an offset hex string. */
export class OrderedLong {
  constructor(readonly long: Long) {}
  toString(): string {
    return (this.long.toBigInt() + TWO63).toString(16).padStart(16, '0');
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Convert a typed value (or a default-promoted one) to eval form. */
export function toEval(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'bigint' ? safeNumber(v) : v;
  if (Array.isArray(v)) return v.map(toEval);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toEval(v[k]);
    return out;
  }
  if (v instanceof Timestamp) return new OrderedTimestamp(v);
  if (v instanceof Long) return safeNumber(v.toBigInt(), v);
  if (v instanceof Int32 || v instanceof Double) return v.valueOf();
  if (v instanceof Decimal128) return Number.parseFloat(v.toString());
  return v;
}

function safeNumber(b: bigint, long?: Long): number | OrderedLong {
  if (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(b);
  return new OrderedLong(long ?? Long.fromBigInt(b));
}

/** Back from eval form to storable values. */
export function fromEval(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(fromEval);
  if (v instanceof OrderedTimestamp) return v.ts;
  if (v instanceof OrderedLong) return v.long;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = fromEval(v[k]);
    return out;
  }
  return v;
}

/** Deep equality in eval form. */
export function evalEqual(a: unknown, b: unknown): boolean {
  if (a === b || Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => evalEqual(x, b[i]));
  if (Array.isArray(b)) return false;
  if (a instanceof Date) return b instanceof Date && +a === +b;
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && evalEqual(a[k], b[k]));
  }
  if (a.constructor !== b.constructor) return false;
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array) === 0;
  return String(a) === String(b) && JSON.stringify(a) === JSON.stringify(b);
}

function numberLike(n: number, like: unknown): unknown {
  if (like instanceof Long) return Number.isInteger(n) ? Long.fromNumber(n) : new Double(n);
  if (like instanceof Double) return new Double(n);
  if (like instanceof Int32) return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? new Int32(n) : Number.isInteger(n) ? Long.fromNumber(n) : new Double(n);
  return n;
}

/**
 * Rebuild a typed document from an updated eval document: values equal to
 * the old eval value at the same path keep their original typed value, and
 * changed numbers keep their original numeric BSON type.
 */
export function mergeTyped(newEval: unknown, oldEval: unknown, oldTyped: unknown): unknown {
  if (oldEval !== undefined && evalEqual(newEval, oldEval)) return oldTyped;
  if (typeof newEval === 'number') return numberLike(newEval, oldTyped);
  if (isPlainObject(newEval) && isPlainObject(oldEval) && isPlainObject(oldTyped)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(newEval)) out[k] = mergeTyped(newEval[k], oldEval[k], oldTyped[k]);
    return out;
  }
  if (Array.isArray(newEval) && Array.isArray(oldEval) && Array.isArray(oldTyped)) {
    return newEval.map((x, i) => mergeTyped(x, oldEval[i], oldTyped[i]));
  }
  return fromEval(newEval);
}

/** Deserialize a stored document into eval form. */
export function evalDoc(raw: Buffer): Document {
  return toEval(deserialize(raw, TYPED)) as Document;
}

export function typedDoc(raw: Buffer): Document {
  return deserialize(raw, TYPED);
}

/** A number from any numeric wire value (Int32, Double, Long, bigint, number, boolean). */
export function num(v: unknown, fallback = 0): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Int32 || v instanceof Double) return v.valueOf();
  if (v instanceof Decimal128) return Number.parseFloat(v.toString());
  return fallback;
}

/** Truthiness of a wire flag (`1`, `true`, `Int32(1)`…). */
export function flag(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  return num(v, 1) !== 0;
}

/** Read a dotted path from a plain object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Set a dotted path on a plain object when its parent exists. */
export function setPathIfPresent(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[parts[i]!];
  }
  if (cur !== null && typeof cur === 'object' && parts[parts.length - 1]! in (cur as object)) {
    (cur as Record<string, unknown>)[parts[parts.length - 1]!] = value;
  }
}
