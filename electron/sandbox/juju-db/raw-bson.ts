/**
 * Helpers that work on raw BSON bytes without deserialising whole documents.
 * Documents are stored as immutable Buffers; these let the server read a few
 * top-level fields (filter keys, `_id`) and assemble cursor replies straight
 * from stored bytes, which is what keeps large dumps cheap.
 */
import { ObjectId, serialize, type Document } from 'bson';

export interface RawElement {
  readonly name: string;
  readonly type: number;
  /** Offset of the type byte. */
  readonly start: number;
  /** Offset of the value (after the name's NUL). */
  readonly valueStart: number;
  /** Offset just past the value. */
  readonly end: number;
}

/** Size in bytes of a value of BSON `type` starting at `offset`. */
export function valueSize(buf: Buffer, type: number, offset: number): number {
  switch (type) {
    case 0x01: // double
    case 0x09: // datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return 8;
    case 0x02: // string
    case 0x0d: // javascript
    case 0x0e: // symbol
      return 4 + buf.readInt32LE(offset);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code w/ scope
      return buf.readInt32LE(offset);
    case 0x05: // binary
      return 4 + 1 + buf.readInt32LE(offset);
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // maxkey
    case 0xff: // minkey
      return 0;
    case 0x07: // objectid
      return 12;
    case 0x08: // bool
      return 1;
    case 0x0b: {
      // regex: two cstrings
      const a = buf.indexOf(0, offset);
      const b = buf.indexOf(0, a + 1);
      return b + 1 - offset;
    }
    case 0x0c: // dbpointer
      return 4 + buf.readInt32LE(offset) + 12;
    case 0x10: // int32
      return 4;
    case 0x13: // decimal128
      return 16;
    default:
      throw new Error(`invalid BSON type 0x${type.toString(16)}`);
  }
}

/** Iterate the top-level elements of a raw document. */
export function* elements(doc: Buffer): Generator<RawElement> {
  const end = doc.readInt32LE(0) - 1;
  let pos = 4;
  while (pos < end) {
    const type = doc[pos]!;
    const nameEnd = doc.indexOf(0, pos + 1);
    const name = doc.toString('utf8', pos + 1, nameEnd);
    const valueStart = nameEnd + 1;
    const e = valueStart + valueSize(doc, type, valueStart);
    yield { name, type, start: pos, valueStart, end: e };
    pos = e;
  }
}

/** The first top-level element called `name`, if any. */
export function findElement(doc: Buffer, name: string): RawElement | undefined {
  const end = doc.readInt32LE(0) - 1;
  let pos = 4;
  const nameBytes = Buffer.byteLength(name);
  while (pos < end) {
    const type = doc[pos]!;
    const nameEnd = doc.indexOf(0, pos + 1);
    const valueStart = nameEnd + 1;
    const e = valueStart + valueSize(doc, type, valueStart);
    if (nameEnd - pos - 1 === nameBytes && doc.toString('utf8', pos + 1, nameEnd) === name) {
      return { name, type, start: pos, valueStart, end: e };
    }
    pos = e;
  }
  return undefined;
}

/** A new document holding only the named top-level fields (cheap filter input). */
export function pickFields(doc: Buffer, names: ReadonlySet<string>): Buffer {
  const parts: Buffer[] = [];
  let size = 5;
  for (const el of elements(doc)) {
    if (names.has(el.name)) {
      const part = doc.subarray(el.start, el.end);
      parts.push(part);
      size += part.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let pos = 4;
  for (const p of parts) pos += p.copy(out, pos);
  out[pos] = 0;
  return out;
}

/**
 * A canonical string for an `_id` value so equal ids collide whatever their
 * numeric BSON type (MongoDB treats 1, 1.0 and NumberLong(1) as the same key).
 */
export function idKeyFromElement(doc: Buffer, el: RawElement): string {
  switch (el.type) {
    case 0x07:
      return 'o' + doc.toString('hex', el.valueStart, el.end);
    case 0x02:
      return 's' + doc.toString('utf8', el.valueStart + 4, el.end - 1);
    case 0x10:
      return 'n' + doc.readInt32LE(el.valueStart);
    case 0x12: {
      const v = doc.readBigInt64LE(el.valueStart);
      return 'n' + (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
    }
    case 0x01:
      return 'n' + doc.readDoubleLE(el.valueStart);
    default:
      return 't' + el.type.toString(16) + ':' + doc.toString('hex', el.valueStart, el.end);
  }
}

export function idKeyOf(doc: Buffer): string | undefined {
  const el = findElement(doc, '_id');
  return el ? idKeyFromElement(doc, el) : undefined;
}

/** `_id` key of a deserialised value (used for lookups by `_id` equality). */
export function idKeyOfValue(value: unknown): string {
  const doc = toBson({ _id: value } as Document);
  return idKeyFromElement(doc, findElement(doc, '_id')!);
}

/** Ensure the document has an `_id` (a new ObjectId first, as mongod does). */
export function ensureId(doc: Buffer): Buffer {
  if (findElement(doc, '_id')) return doc;
  const idEl = Buffer.allocUnsafe(1 + 4 + 12);
  idEl[0] = 0x07;
  idEl.write('_id\0', 1, 'latin1');
  new ObjectId().id.forEach((b, i) => {
    idEl[5 + i] = b;
  });
  const out = Buffer.allocUnsafe(doc.length + idEl.length);
  out.writeInt32LE(out.length, 0);
  idEl.copy(out, 4);
  doc.copy(out, 4 + idEl.length, 4);
  return out;
}

/** Encode a raw document as an element `name: <doc>` of `type` (3 = document, 4 = array). */
export function rawElement(name: string, doc: Buffer, type = 0x03): Buffer {
  const nameLen = Buffer.byteLength(name);
  const out = Buffer.allocUnsafe(1 + nameLen + 1 + doc.length);
  out[0] = type;
  out.write(name, 1, 'utf8');
  out[1 + nameLen] = 0;
  doc.copy(out, 2 + nameLen);
  return out;
}

/** Append raw sub-document fields to a serialised document. */
export function appendRawFields(base: Buffer, fields: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const parts = fields.map(([name, doc]) => rawElement(name, doc));
  const size = base.length + parts.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(size);
  base.copy(out, 0, 0, base.length - 1);
  let pos = base.length - 1;
  for (const p of parts) pos += p.copy(out, pos);
  out[pos] = 0;
  out.writeInt32LE(size, 0);
  return out;
}

function digits(i: number): number {
  return i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : i < 10000 ? 4 : i < 100000 ? 5 : i < 1000000 ? 6 : String(i).length;
}

/** A reply already serialised as parts sent back to back (large documents are not copied). */
export class RawReply {
  constructor(readonly chunks: readonly Buffer[]) {}
}

/** Documents at least this large go to the socket as they are; smaller ones are copied into the frame. */
const INLINE_LIMIT = 16 * 1024;

/**
 * `{cursor: {id, ns, <batchName>: [...docs]}, ok: 1}` assembled from raw
 * documents as chunks: the envelope and small documents are written into one
 * buffer, large documents are referenced, so a 16 MiB batch is never copied
 * here (TLS copies it once while encrypting).
 */
export function cursorReplyChunks(cursorId: bigint, ns: string, batchName: 'firstBatch' | 'nextBatch', docs: readonly Buffer[], extra?: Document): Buffer[] {
  let arraySize = 5;
  let large = 0;
  for (let i = 0; i < docs.length; i++) {
    const len = docs[i]!.length;
    arraySize += 2 + digits(i) + len;
    if (len >= INLINE_LIMIT) large += len;
  }
  const nsLen = Buffer.byteLength(ns);
  const batchLen = batchName.length;
  const cursorSize = 4 + (1 + 3 + 8) + (1 + 3 + 4 + nsLen + 1) + (1 + batchLen + 1 + arraySize) + 1;
  const extraDoc = extra && Object.keys(extra).length > 0 ? toBson(extra) : null;
  const extraLen = extraDoc ? extraDoc.length - 5 : 0;
  const topSize = 4 + (1 + 7 + cursorSize) + (1 + 3 + 8) + extraLen + 1;
  const out = Buffer.allocUnsafe(topSize - large);
  const chunks: Buffer[] = [];
  let pos = 0;
  let chunkStart = 0;
  const cstring = (str: string): void => {
    pos += out.write(str, pos, 'utf8');
    out[pos++] = 0;
  };
  out.writeInt32LE(topSize, pos);
  pos += 4;
  out[pos++] = 0x03;
  cstring('cursor');
  out.writeInt32LE(cursorSize, pos);
  pos += 4;
  out[pos++] = 0x12;
  cstring('id');
  out.writeBigInt64LE(cursorId, pos);
  pos += 8;
  out[pos++] = 0x02;
  cstring('ns');
  out.writeInt32LE(nsLen + 1, pos);
  pos += 4;
  cstring(ns);
  out[pos++] = 0x04;
  cstring(batchName);
  out.writeInt32LE(arraySize, pos);
  pos += 4;
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i]!;
    out[pos++] = 0x03;
    // Array keys "0", "1", … written as ASCII digits without string conversion.
    const d = digits(i);
    let v = i;
    for (let k = pos + d - 1; k >= pos; k--) {
      out[k] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    pos += d;
    out[pos++] = 0;
    if (doc.length >= INLINE_LIMIT) {
      chunks.push(out.subarray(chunkStart, pos), doc);
      chunkStart = pos;
    } else {
      out.set(doc, pos);
      pos += doc.length;
    }
  }
  out[pos++] = 0; // end of array
  out[pos++] = 0; // end of cursor
  out[pos++] = 0x01;
  cstring('ok');
  out.writeDoubleLE(1, pos);
  pos += 8;
  if (extraDoc) pos += extraDoc.copy(out, pos, 4, extraDoc.length - 1);
  out[pos++] = 0;
  chunks.push(out.subarray(chunkStart, pos));
  return chunks;
}

/** `cursorReplyChunks` as one buffer (small replies: listCollections, listIndexes). */
export function cursorReply(cursorId: bigint, ns: string, batchName: 'firstBatch' | 'nextBatch', docs: readonly Buffer[], extra?: Document): Buffer {
  return Buffer.concat(cursorReplyChunks(cursorId, ns, batchName, docs, extra));
}

/** `bson.serialize` typed as a Node Buffer (a view, no copy). */
export function toBson(doc: Document): Buffer {
  const u = serialize(doc);
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
