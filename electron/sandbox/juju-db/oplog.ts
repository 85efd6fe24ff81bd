/**
 * The replication log (`local.oplog.rs`). Entries are small objects that
 * reference the document buffers they carry, so the log costs little memory
 * beyond the data itself; it is capped by the bytes it would occupy on disk.
 * Every member keeps its own log, but replicated entries are shared objects.
 */
import { Long, Timestamp, deserialize, type Document } from 'bson';
import { TYPED } from './bson-eval';
import { appendRawFields, toBson } from './raw-bson';

export type OpType = 'i' | 'u' | 'd' | 'c' | 'n';

export interface OpTime {
  readonly ts: Timestamp;
  readonly t: number;
}

export interface OplogEntry {
  readonly ts: Timestamp;
  readonly t: number;
  readonly op: OpType;
  readonly ns: string;
  /** Raw BSON `o` (the inserted/replacement document, `{_id}` for deletes, the command for `c`). */
  readonly o: Buffer;
  /** Raw BSON `o2` (`{_id}` for updates). */
  readonly o2?: Buffer | undefined;
  readonly wall: Date;
  /** Sort key of `ts`: (seconds << 32) | increment. */
  readonly key: bigint;
}

export const NULL_OPTIME: OpTime = { ts: new Timestamp({ t: 0, i: 0 }), t: -1 };

export function tsKey(ts: Timestamp): bigint {
  return (BigInt(ts.t) << 32n) | BigInt(ts.i);
}

export function compareOpTime(a: OpTime, b: OpTime): number {
  const ka = tsKey(a.ts);
  const kb = tsKey(b.ts);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.t - b.t;
}

/**
 * An entry as held in memory. A class (one shape for every entry) whose sort
 * key is computed on first use: loading a large oplog allocates no BigInts.
 */
class Entry implements OplogEntry {
  private k: bigint | undefined;
  /** Bytes the entry counts for against the oplog cap. */
  readonly size: number;

  constructor(
    readonly ts: Timestamp,
    readonly t: number,
    readonly op: OpType,
    readonly ns: string,
    readonly o: Buffer,
    readonly o2: Buffer | undefined,
    readonly wall: Date,
  ) {
    this.size = 100 + ns.length + o.length + (o2 ? o2.length : 0);
  }

  get key(): bigint {
    return (this.k ??= tsKey(this.ts));
  }
}

export function makeEntry(e: Omit<OplogEntry, 'key'>): OplogEntry {
  return new Entry(e.ts, e.t, e.op, e.ns, e.o, e.o2, e.wall);
}

/** The entry as stored/returned (`{ts, t, h, v, op, ns, wall, o, o2}`). */
export function serializeEntry(e: OplogEntry, extra?: Document): Buffer {
  const base = toBson({ ...extra, ts: e.ts, t: Long.fromNumber(e.t), h: Long.fromNumber(0), v: 2, op: e.op, ns: e.ns, wall: e.wall });
  const fields: [string, Buffer][] = [['o', e.o]];
  if (e.o2) fields.push(['o2', e.o2]);
  return appendRawFields(base, fields);
}

export function entryOpTime(e: OplogEntry): OpTime {
  return { ts: e.ts, t: e.t };
}

export class Oplog {
  private entries: OplogEntry[] = [];
  private start = 0;
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get length(): number {
    return this.entries.length - this.start;
  }

  first(): OplogEntry | undefined {
    return this.entries[this.start];
  }

  last(): OplogEntry | undefined {
    return this.length > 0 ? this.entries[this.entries.length - 1] : undefined;
  }

  at(i: number): OplogEntry | undefined {
    return this.entries[this.start + i];
  }

  push(e: OplogEntry): void {
    this.entries.push(e);
    this.bytes += entrySize(e);
    while (this.bytes > this.maxBytes && this.length > 1) {
      this.bytes -= entrySize(this.entries[this.start]!);
      this.entries[this.start] = undefined as unknown as OplogEntry;
      this.start++;
    }
    if (this.start > 4096 && this.start > this.entries.length / 2) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
    this.bytes = 0;
  }

  /** Index (relative) of the first entry with ts key >= `key`. */
  lowerBound(key: bigint): number {
    let lo = this.start;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  /** Index (relative) of the entry with exactly this optime, or -1. */
  indexOf(ot: OpTime): number {
    const i = this.lowerBound(tsKey(ot.ts));
    const e = this.at(i);
    return e && e.key === tsKey(ot.ts) && e.t === ot.t ? i : -1;
  }

  *iterate(from = 0, reverse = false): Generator<OplogEntry> {
    if (reverse) {
      for (let i = this.length - 1; i >= from; i--) yield this.at(i)!;
    } else {
      for (let i = from; i < this.length; i++) yield this.at(i)!;
    }
  }

  /** Entries shared with another member (initial sync). */
  copyFrom(other: Oplog): void {
    this.clear();
    for (const e of other.iterate()) this.push(e);
  }

  sizeBytes(): number {
    return this.bytes;
  }
}

function entrySize(e: OplogEntry): number {
  return e instanceof Entry ? e.size : 100 + e.ns.length + e.o.length + (e.o2?.length ?? 0);
}

/**
 * Compact record form of an entry for journals and snapshots:
 * `[u32 metaLen][meta BSON][u32 oLen][o][u32 o2Len][o2]`, returned as parts
 * so the document bytes are written straight from the shared buffer.
 */
export function entryRecordParts(e: OplogEntry): Buffer[] {
  const meta = toBson({ ts: e.ts, t: e.t, op: e.op, ns: e.ns, wall: e.wall });
  const lens = Buffer.allocUnsafe(12);
  lens.writeUInt32LE(meta.length, 0);
  lens.writeUInt32LE(e.o.length, 4);
  lens.writeUInt32LE(e.o2?.length ?? 0, 8);
  return e.o2 ? [lens, meta, e.o, e.o2] : [lens, meta, e.o];
}

/** Inverse of entryRecordParts (document bytes are copied out of the read buffer). */
export function parseEntryRecord(p: Buffer): OplogEntry {
  const metaLen = p.readUInt32LE(0);
  const oLen = p.readUInt32LE(4);
  const o2Len = p.readUInt32LE(8);
  const meta = deserialize(p.subarray(12, 12 + metaLen), TYPED);
  const oStart = 12 + metaLen;
  return makeEntry({
    ts: meta.ts as Timestamp,
    t: Number(meta.t),
    op: meta.op as OpType,
    ns: meta.ns as string,
    o: Buffer.from(p.subarray(oStart, oStart + oLen)),
    o2: o2Len ? Buffer.from(p.subarray(oStart + oLen, oStart + oLen + o2Len)) : undefined,
    wall: meta.wall as Date,
  });
}
