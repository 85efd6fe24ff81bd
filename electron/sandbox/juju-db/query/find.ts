/**
 * The find pipeline: candidates → filter → sort → skip/limit → projection,
 * as a lazy generator of raw documents. Without a filter, sort or projection
 * stored buffers flow straight into reply batches untouched.
 */
import { type Document } from 'bson';
import { Query, find as mingoFind } from 'mingo';
import { compare } from 'mingo/util';
import { evalDoc, getPath, toEval, typedDoc } from '../bson-eval';
import { MongoServerError } from '../errors';
import { pickFields, toBson } from '../raw-bson';
import { filterFields, isEmpty, sortFields } from './fields';
import type { DocSource } from './source';

export interface FindSpec {
  /** Eval-form filter. */
  readonly filter?: Document | undefined;
  readonly sort?: Document | undefined;
  /** Typed projection. */
  readonly projection?: Document | undefined;
  readonly skip?: number | undefined;
  /** 0 = no limit. */
  readonly limit?: number | undefined;
}

/** A compiled filter: tests raw documents, reading only the fields it needs. */
export function compileFilter(filter: Document | undefined): ((raw: Buffer) => boolean) | null {
  if (isEmpty(filter)) return null;
  let q: Query;
  try {
    q = new Query(filter!);
  } catch (err) {
    throw new MongoServerError('BadValue', err instanceof Error ? err.message : String(err));
  }
  const fields = filterFields(filter!);
  if (fields) return (raw) => q.test(evalDoc(pickFields(raw, fields)));
  return (raw) => q.test(evalDoc(raw));
}

/** A comparator over eval documents for a sort spec. */
export function sortComparator(sort: Document): (a: Document, b: Document) => number {
  const keys = Object.entries(sort).map(([k, v]) => [k, Number(v) < 0 ? -1 : 1] as const);
  return (a, b) => {
    for (const [k, dir] of keys) {
      const c = compare(getPath(a, k), getPath(b, k));
      if (c !== 0) return c * dir;
    }
    return 0;
  };
}

export function* matching(source: DocSource, filter: Document | undefined, reverse = false): Generator<Buffer> {
  const test = compileFilter(filter);
  const cands = isEmpty(filter) ? undefined : source.candidates(filter!);
  const iter = cands ?? source.scan(reverse);
  if (!test) {
    yield* iter;
    return;
  }
  for (const raw of iter) if (test(raw)) yield raw;
}

function naturalOrder(sort: Document | undefined): { natural: boolean; reverse: boolean } {
  if (!sort || !('$natural' in sort)) return { natural: false, reverse: false };
  return { natural: true, reverse: Number(sort.$natural) < 0 };
}

/** Apply a find projection to one raw document. */
export function projector(projection: Document | undefined): ((raw: Buffer) => Buffer) | null {
  if (isEmpty(projection)) return null;
  return (raw) => {
    const doc = typedDoc(raw);
    const out = mingoFind([doc], {}, toEval(projection) as never).next() as Document | undefined;
    return toBson(out ?? {});
  };
}

/** Run a find; yields raw result documents lazily. */
export function* runFind(source: DocSource, spec: FindSpec): Generator<Buffer> {
  const { natural, reverse } = naturalOrder(spec.sort);
  let stream: Iterable<Buffer> = matching(source, spec.filter, reverse);
  if (!natural && !isEmpty(spec.sort)) {
    const top = sortFields(spec.sort!);
    const cmp = sortComparator(spec.sort!);
    const rows: { raw: Buffer; key: Document }[] = [];
    for (const raw of stream) rows.push({ raw, key: evalDoc(pickFields(raw, top)) });
    rows.sort((a, b) => cmp(a.key, b.key));
    stream = rows.map((r) => r.raw);
  }
  const project = projector(spec.projection);
  let skip = spec.skip ?? 0;
  let remaining = spec.limit && spec.limit > 0 ? spec.limit : Infinity;
  for (const raw of stream) {
    if (skip > 0) {
      skip--;
      continue;
    }
    if (remaining-- <= 0) return;
    yield project ? project(raw) : raw;
  }
}
