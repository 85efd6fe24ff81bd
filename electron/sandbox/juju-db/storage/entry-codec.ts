/**
 * Binary form of oplog entries in journals and snapshot oplog blocks. A fixed
 * header instead of a BSON meta document makes replay a few field reads per
 * entry, and document bytes are returned as views of the read buffer (no
 * copy). In oplog blocks, `o` may be a reference to a document stored in a
 * snapshot document block, so the data is written and held once.
 *
 * Layout: `[u32 ts.t][u32 ts.i][f64 t][f64 wall][u8 op][u8 flags][u16 nsLen][ns]`
 * then `o` (inline `[u32 len][bytes]`, or reference `[u16 ref][u32 offset][u32 len]`)
 * then, when flagged, `o2` as `[u32 len][bytes]`.
 */
import { Timestamp } from 'bson';
import { makeEntry, type OpType, type OplogEntry } from '../oplog';

const FIXED = 4 + 4 + 8 + 8 + 1 + 1 + 2;
const F_REF = 1;
const F_O2 = 2;

/** Where a referenced `o` lives: an index into the block's reference table and a byte range. */
export interface DocLocation {
  readonly ref: number;
  readonly offset: number;
}

/** Encode one entry as buffer parts (document bytes are not copied). */
export function encodeEntry(e: OplogEntry, loc?: DocLocation): Buffer[] {
  const ns = Buffer.from(e.ns, 'utf8');
  const head = Buffer.allocUnsafe(FIXED + ns.length + (loc ? 10 : 4));
  head.writeUInt32LE(e.ts.t >>> 0, 0);
  head.writeUInt32LE(e.ts.i >>> 0, 4);
  head.writeDoubleLE(e.t, 8);
  head.writeDoubleLE(e.wall.getTime(), 16);
  head[24] = e.op.charCodeAt(0);
  head[25] = (loc ? F_REF : 0) | (e.o2 ? F_O2 : 0);
  head.writeUInt16LE(ns.length, 26);
  ns.copy(head, FIXED);
  let pos = FIXED + ns.length;
  const parts: Buffer[] = [head];
  if (loc) {
    head.writeUInt16LE(loc.ref, pos);
    head.writeUInt32LE(loc.offset, pos + 2);
    head.writeUInt32LE(e.o.length, pos + 6);
  } else {
    head.writeUInt32LE(e.o.length, pos);
    parts.push(e.o);
  }
  pos += loc ? 10 : 4;
  if (e.o2) {
    const l = Buffer.allocUnsafe(4);
    l.writeUInt32LE(e.o2.length, 0);
    parts.push(l, e.o2);
  }
  return parts;
}

/** Resolves a reference to a document view (the shared buffer, never a copy). */
export type RefResolver = (ref: number, offset: number, length: number) => Buffer;

const noRefs: RefResolver = () => {
  throw new Error('document reference outside a snapshot oplog block');
};

/**
 * Decode the entry at `pos`; returns it and the offset after it. `ns` strings
 * are interned through `names` so a block of entries shares them.
 */
export function decodeEntry(buf: Buffer, pos: number, names: Map<string, string>, resolve: RefResolver = noRefs): [OplogEntry, number] {
  const tsT = buf.readUInt32LE(pos);
  const tsI = buf.readUInt32LE(pos + 4);
  const t = buf.readDoubleLE(pos + 8);
  const wall = buf.readDoubleLE(pos + 16);
  const op = String.fromCharCode(buf[pos + 24]!) as OpType;
  const flags = buf[pos + 25]!;
  const nsLen = buf.readUInt16LE(pos + 26);
  let p = pos + FIXED;
  const rawNs = buf.toString('latin1', p, p + nsLen);
  let ns = names.get(rawNs);
  if (ns === undefined) {
    ns = buf.toString('utf8', p, p + nsLen);
    names.set(rawNs, ns);
  }
  p += nsLen;
  let o: Buffer;
  if (flags & F_REF) {
    o = resolve(buf.readUInt16LE(p), buf.readUInt32LE(p + 2), buf.readUInt32LE(p + 6));
    p += 10;
  } else {
    const len = buf.readUInt32LE(p);
    o = buf.subarray(p + 4, p + 4 + len);
    p += 4 + len;
  }
  let o2: Buffer | undefined;
  if (flags & F_O2) {
    const len = buf.readUInt32LE(p);
    o2 = buf.subarray(p + 4, p + 4 + len);
    p += 4 + len;
  }
  const entry = makeEntry({ ts: new Timestamp({ t: tsT, i: tsI }), t, op, ns, o, o2, wall: new Date(wall) });
  return [entry, p];
}
