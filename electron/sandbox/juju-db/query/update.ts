/**
 * Update semantics: operator updates are evaluated by mingo on the eval view,
 * then merged back onto the typed view so untouched fields keep their exact
 * BSON types (and `$inc` on a NumberLong stays a NumberLong). Replacement
 * documents are stored exactly as sent.
 */
import { ObjectId, type Document } from 'bson';
import { Aggregator, update as mingoUpdate } from 'mingo';
import { evalDoc, evalEqual, mergeTyped, setPathIfPresent, toEval, typedDoc } from '../bson-eval';
import { MongoServerError } from '../errors';
import { ensureId, toBson } from '../raw-bson';

const SUPPORTED = new Set(['$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$currentDate', '$push', '$addToSet', '$pop', '$pull', '$pullAll', '$bit', '$setOnInsert']);

export function isOperatorUpdate(u: unknown): boolean {
  if (Array.isArray(u)) return false;
  const keys = Object.keys(u as Document);
  return keys.length > 0 && keys[0]!.startsWith('$');
}

function validateOperators(u: Document): void {
  for (const k of Object.keys(u)) {
    if (!k.startsWith('$')) throw new MongoServerError('FailedToParse', `Unknown modifier: ${k}. Expected a valid update modifier or pipeline-style update specified as an array`);
    if (!SUPPORTED.has(k)) throw new MongoServerError('FailedToParse', `Unknown modifier: ${k}. Expected a valid update modifier or pipeline-style update specified as an array`);
  }
}

function checkReplacement(u: Document): void {
  for (const k of Object.keys(u)) {
    if (k.startsWith('$')) throw new MongoServerError('BadValue', `The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`);
  }
}

function idChanged(before: Document, after: Document): boolean {
  return !evalEqual(toEval(before._id), toEval(after._id));
}

/**
 * Apply `u` (typed) to a stored document. Returns the new raw document.
 * `insertMode` applies `$setOnInsert` (upserts).
 */
export function applyUpdate(oldRaw: Buffer, u: Document | Document[], arrayFilters: Document[] | undefined, insertMode = false): Buffer {
  const typed = typedDoc(oldRaw);
  if (Array.isArray(u)) {
    const before = evalDoc(oldRaw);
    const out = new Aggregator(u.map((s) => toEval(s) as Document), {}).run([evalDoc(oldRaw)])[0] as Document;
    const merged = mergeTyped(out, before, typed) as Document;
    if (idChanged(typed, merged)) throw immutableId();
    return toBson(merged);
  }
  if (!isOperatorUpdate(u)) {
    checkReplacement(u);
    if ('_id' in u && idChanged(typed, u)) throw immutableId();
    const { _id: _ignored, ...rest } = u;
    return toBson({ _id: typed._id, ...rest });
  }
  validateOperators(u);
  if (!insertMode) {
    for (const op of ['$set', '$unset', '$rename', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$pull', '$pop', '$currentDate']) {
      const fields = u[op] as Document | undefined;
      if (fields && Object.keys(fields).some((k) => k === '_id' || k.startsWith('_id.'))) {
        const f = fields._id;
        if (op !== '$set' || !evalEqual(toEval(f), toEval(typed._id))) throw immutableId();
      }
    }
  }
  const { $setOnInsert, ...ops } = u;
  const effective: Document = { ...ops };
  if (insertMode && $setOnInsert) effective.$set = { ...(effective.$set as Document | undefined), ...($setOnInsert as Document) };
  const before = evalDoc(oldRaw);
  const after = evalDoc(oldRaw);
  if (Object.keys(effective).length > 0) {
    try {
      mingoUpdate(after, toEval(effective) as never, arrayFilters?.map((f) => toEval(f) as Document), undefined, { cloneMode: 'deep' });
    } catch (err) {
      throw new MongoServerError('BadValue', err instanceof Error ? err.message : String(err));
    }
  }
  const merged = mergeTyped(after, before, typed) as Document;
  // Keep the exact types of values given to $set / $setOnInsert on plain paths.
  for (const [path, value] of Object.entries((effective.$set as Document | undefined) ?? {})) {
    if (!path.includes('$')) setPathIfPresent(merged, path, value);
  }
  if (idChanged(typed, merged)) throw immutableId();
  return toBson(merged);
}

function immutableId(): MongoServerError {
  return new MongoServerError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
}

/** Equality fields of a filter, as the seed of an upserted document (typed). */
export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$')) {
      if (k === '$and' && Array.isArray(v)) for (const sub of v) Object.assign(seed, upsertSeed(sub as Document));
      continue;
    }
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const keys = Object.keys(v as Document);
      if (keys.length === 1 && keys[0] === '$eq') setDotted(seed, k, (v as Document).$eq);
      else if (!keys.some((x) => x.startsWith('$'))) setDotted(seed, k, v);
      continue;
    }
    if (v instanceof RegExp) continue;
    setDotted(seed, k, v);
  }
  return seed;
}

function setDotted(obj: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Document;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** The document an upsert inserts (typed filter + update). */
export function buildUpsert(filterTyped: Document, u: Document | Document[], arrayFilters: Document[] | undefined): Buffer {
  if (!Array.isArray(u) && !isOperatorUpdate(u)) {
    checkReplacement(u);
    const seedId = upsertSeed(filterTyped)._id;
    const doc = { ...(seedId !== undefined && !('_id' in u) ? { _id: seedId } : {}), ...u };
    return ensureId(toBson(doc));
  }
  const seed = upsertSeed(filterTyped);
  const base = ensureId(toBson('_id' in seed ? seed : { _id: new ObjectId(), ...seed }));
  return applyUpdate(base, u, arrayFilters, true);
}

