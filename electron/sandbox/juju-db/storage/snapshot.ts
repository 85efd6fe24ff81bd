/**
 * Snapshots. `snapshot.bin` is a small manifest (header, each collection's
 * metadata and block list, the oplog's block list) written with the record
 * framing of `record-file.ts`; the data lives in content-addressed block
 * files (see `blocks.ts`). Oplog entries whose `o` is a document stored in a
 * block are written as references to it, so a snapshot holds each document
 * once however many oplog entries point at it.
 *
 * The first format (every document and oplog entry as a record inside
 * `snapshot.bin`) is still read, so existing sandboxes keep their data; the
 * next compaction rewrites them in this format.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { deserialize, type Document, type Timestamp } from 'bson';
import { TYPED, num } from '../bson-eval';
import { NULL_OPTIME, parseEntryRecord, type OpTime, type OplogEntry } from '../oplog';
import { toBson } from '../raw-bson';
import { blockPath, CorruptBlockError, cutAfter, digest, docOffsets, docRanges, writeFileSynced, type BlockRef, type DocBlock, type OplogBlock, type SharedBlocks } from './blocks';
import { Catalog } from './catalog';
import type { IndexSpec } from './collection';
import { decodeEntry, encodeEntry, type DocLocation } from './entry-codec';

const K_HEADER = 0x48; // 'H'
const K_COLL = 0x43; // 'C'
const K_DOC = 0x44; // 'D' (format 1)
const K_OPLOG = 0x4f; // 'O' (format 1: one entry; format 2: the oplog's block list)
const K_END = 0x5a; // 'Z'

export const SNAPSHOT_FORMAT = 2;

/** What a compaction captured synchronously, written out asynchronously. */
export interface SnapshotCapture {
  readonly gen: number;
  readonly lastApplied: OpTime;
  readonly colls: ReadonlyArray<{ ns: string; options: Document; uuid: Buffer; indexes: IndexSpec[]; ids: string[]; docs: Buffer[] }>;
  readonly entries: readonly OplogEntry[];
}

/** The blocks a snapshot is made of (held by the store so members can share them). */
export interface SnapshotBlocks {
  readonly docBlocks: DocBlock[];
  readonly oplogBlocks: OplogBlock[];
}

export interface LoadedSnapshot extends SnapshotBlocks {
  readonly catalog: Catalog;
  readonly entries: OplogEntry[];
  readonly gen: number;
  readonly lastApplied: OpTime;
}

function refArray(r: BlockRef): [string, number, number, number] {
  return [r.hash, r.len, r.crc, r.count];
}

function refOf(v: unknown): BlockRef {
  const [hash, len, crc, count] = v as [string, unknown, unknown, unknown];
  return { hash, len: num(len), crc: num(crc), count: num(count) };
}

function frame(kind: number, body: Buffer): Buffer[] {
  const k = Buffer.from([kind]);
  const h = Buffer.allocUnsafe(8);
  h.writeUInt32LE(1 + body.length, 0);
  h.writeUInt32LE(crc32(body, crc32(k)), 4);
  return [h, k, body];
}

/** Numeric key of an entry's optime for cut decisions (stable across members). */
function entryHash(e: OplogEntry): number {
  return (Math.imul(e.ts.t ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(e.ts.i, 0xc2b2ae35)) >>> 0;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Write a snapshot: document blocks (only new runs are hashed, only missing
 * files written), oplog blocks, then the manifest, atomically. Returns the
 * blocks, the manifest's size and every block hash it references.
 */
export async function writeSnapshot(dir: string, shared: SharedBlocks, cap: SnapshotCapture, present: Set<string>): Promise<SnapshotBlocks & { referenced: Set<string> }> {
  const docBlocks: DocBlock[] = [];
  const locs = new Map<Buffer, { block: DocBlock; offset: number }>();
  const manifest: Buffer[] = [];
  manifest.push(...frame(K_HEADER, toBson({ format: SNAPSHOT_FORMAT, gen: cap.gen, lastApplied: { ts: cap.lastApplied.ts, t: cap.lastApplied.t } })));
  let sinceYield = 0;
  for (const c of cap.colls) {
    const refs: BlockRef[] = [];
    for (const [start, end] of docRanges(c.ids, c.docs)) {
      const block = shared.docBlock(c.ids, c.docs, start, end);
      await shared.ensureFile(dir, block.ref, block.docs, present);
      docBlocks.push(block);
      refs.push(block.ref);
      let offset = 0;
      for (const d of block.docs) {
        locs.set(d, { block, offset });
        offset += d.length;
      }
      sinceYield += end - start;
      if (sinceYield > 20_000) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
    manifest.push(...frame(K_COLL, toBson({ ns: c.ns, options: c.options, uuid: c.uuid, indexes: c.indexes, blocks: refs.map(refArray) })));
  }
  const oplogBlocks: OplogBlock[] = [];
  let start = 0;
  let bytes = 0;
  const flushOplog = async (end: number): Promise<void> => {
    const entries = cap.entries.slice(start, end);
    const table = new Map<DocBlock, number>();
    const parts: Buffer[] = [];
    for (const e of entries) {
      const at = locs.get(e.o);
      let loc: DocLocation | undefined;
      if (at && table.size < 0xffff) {
        let ref = table.get(at.block);
        if (ref === undefined) table.set(at.block, (ref = table.size));
        loc = { ref, offset: at.offset };
      }
      parts.push(...encodeEntry(e, loc));
    }
    const head = Buffer.alloc(4 + table.size * 44);
    head.writeUInt32LE(table.size, 0);
    let p = 4;
    for (const b of table.keys()) {
      head.write(b.ref.hash, p, 'hex');
      head.writeUInt32LE(b.ref.len, p + 32);
      head.writeUInt32LE(b.ref.crc, p + 36);
      head.writeUInt32LE(b.ref.count, p + 40);
      p += 44;
    }
    parts.unshift(head);
    const block: OplogBlock = { ref: digest(parts, entries.length), entries };
    await shared.ensureFile(dir, block.ref, parts, present);
    shared.rememberOplogBlock(block);
    oplogBlocks.push(block);
    start = end;
    bytes = 0;
  };
  for (let i = 0; i < cap.entries.length; i++) {
    const e = cap.entries[i]!;
    bytes += 40 + e.ns.length + (locs.has(e.o) ? 0 : e.o.length) + (e.o2?.length ?? 0);
    if (cutAfter(entryHash(e), bytes)) await flushOplog(i + 1);
  }
  if (start < cap.entries.length) await flushOplog(cap.entries.length);
  manifest.push(...frame(K_OPLOG, toBson({ blocks: oplogBlocks.map((b) => refArray(b.ref)) })));
  manifest.push(...frame(K_END, Buffer.alloc(0)));
  const tmp = join(dir, 'snapshot.bin');
  await writeFileSynced(`${tmp}.new`, manifest);
  await rename(`${tmp}.new`, tmp);
  const referenced = new Set<string>([...docBlocks.map((b) => b.ref.hash), ...oplogBlocks.map((b) => b.ref.hash)]);
  return { docBlocks, oplogBlocks, referenced };
}

/** Split a manifest (or a format-1 snapshot) into records; throws if it is incomplete. */
function records(buf: Buffer, path: string): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let pos = 0;
  let ended = false;
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32LE(pos);
    const crc = buf.readUInt32LE(pos + 4);
    if (pos + 8 + len > buf.length) break;
    const payload = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(payload) !== crc) break;
    out.push([payload[0]!, payload.subarray(1)]);
    if (payload[0] === K_END) ended = true;
    pos += 8 + len;
  }
  if (!ended) throw new Error(`snapshot ${path} is incomplete`);
  return out;
}

/**
 * Load `snapshot.bin` (either format), or null when there is none. Blocks
 * another member of the cluster already holds are shared, not read.
 */
export async function loadSnapshot(dir: string, shared: SharedBlocks, oplogMaxBytes: number): Promise<LoadedSnapshot | null> {
  const path = join(dir, 'snapshot.bin');
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const recs = records(buf, path);
  const header = deserialize(recs[0]![1], TYPED);
  if (num(header.format, 1) < 2) return loadFormat1(recs);
  const catalog = new Catalog();
  const docBlocks: DocBlock[] = [];
  const byHash = new Map<string, DocBlock>();
  let oplogRefs: BlockRef[] = [];
  for (const [kind, body] of recs.slice(1)) {
    if (kind === K_COLL) {
      const c = deserialize(body, TYPED);
      const coll = catalog.create(c.ns as string, (c.options as Document) ?? {}, false, Buffer.from((c.uuid as { buffer: Uint8Array }).buffer));
      for (const spec of (c.indexes as IndexSpec[]) ?? []) coll.addIndex(spec, true);
      for (const r of (c.blocks as unknown[]) ?? []) {
        const block = await shared.loadDocBlock(dir, refOf(r));
        coll.load(block.ids, block.docs);
        docBlocks.push(block);
        byHash.set(block.ref.hash, block);
      }
    } else if (kind === K_OPLOG) {
      oplogRefs = ((deserialize(body, TYPED).blocks as unknown[]) ?? []).map(refOf);
    }
  }
  const oplogBlocks: OplogBlock[] = [];
  const entries: OplogEntry[] = [];
  for (const ref of oplogRefs) {
    const block = await shared.oplogBlock(ref.hash, () => readOplogBlock(dir, shared, ref, byHash));
    oplogBlocks.push(block);
    for (const e of block.entries) entries.push(e);
  }
  void oplogMaxBytes;
  const last = header.lastApplied as { ts: Timestamp; t: unknown } | undefined;
  return { catalog, entries, gen: num(header.gen), lastApplied: last ? { ts: last.ts, t: num(last.t) } : NULL_OPTIME, docBlocks, oplogBlocks };
}

async function readOplogBlock(dir: string, shared: SharedBlocks, ref: BlockRef, byHash: Map<string, DocBlock>): Promise<OplogBlock> {
  const buf = await shared.readBlockFile(dir, ref);
  const nRefs = buf.readUInt32LE(0);
  const table: Array<{ block: DocBlock; offsets: Float64Array }> = [];
  let p = 4;
  for (let i = 0; i < nRefs; i++) {
    const r: BlockRef = { hash: buf.toString('hex', p, p + 32), len: buf.readUInt32LE(p + 32), crc: buf.readUInt32LE(p + 36), count: buf.readUInt32LE(p + 40) };
    const block = byHash.get(r.hash) ?? (await shared.loadDocBlock(dir, r));
    table.push({ block, offsets: docOffsets(block) });
    p += 44;
  }
  const resolve = (ref: number, offset: number, length: number): Buffer => {
    const t = table[ref];
    if (!t) throw new CorruptBlockError(`oplog block ${ref} refers to a missing document block`);
    let lo = 0;
    let hi = t.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (t.offsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const doc = t.block.docs[lo];
    if (!doc || t.offsets[lo] !== offset || doc.length !== length) throw new CorruptBlockError(`oplog block ${ref} refers to a document that is not in block ${t.block.ref.hash}`);
    return doc;
  };
  const names = new Map<string, string>();
  const entries: OplogEntry[] = new Array(ref.count);
  for (let i = 0; i < ref.count; i++) {
    const [e, next] = decodeEntry(buf, p, names, resolve);
    entries[i] = e;
    p = next;
  }
  if (p !== buf.length) throw new CorruptBlockError(`oplog block ${ref.hash} has trailing bytes`);
  const block: OplogBlock = { ref, entries };
  shared.rememberOplogBlock(block, blockPath(dir, ref.hash));
  return block;
}

/** Format 1: every document and oplog entry as a record of `snapshot.bin` (copied out). */
function loadFormat1(recs: Array<[number, Buffer]>): LoadedSnapshot {
  const catalog = new Catalog();
  const entries: OplogEntry[] = [];
  let gen = 0;
  let last: OpTime = NULL_OPTIME;
  let ns = '';
  for (const [kind, body] of recs) {
    if (kind === K_HEADER) {
      const h = deserialize(body, TYPED);
      gen = num(h.gen);
      if (h.lastApplied) last = { ts: h.lastApplied.ts, t: num(h.lastApplied.t) };
    } else if (kind === K_COLL) {
      const c = deserialize(body, TYPED);
      ns = c.ns as string;
      const coll = catalog.create(ns, (c.options as Document) ?? {}, false, Buffer.from((c.uuid as { buffer: Uint8Array }).buffer));
      for (const spec of (c.indexes as IndexSpec[]) ?? []) coll.addIndex(spec, true);
    } else if (kind === K_DOC) {
      catalog.get(ns)!.insert(Buffer.from(body), false);
    } else if (kind === K_OPLOG) {
      entries.push(parseEntryRecord(body));
    }
  }
  return { catalog, entries, gen, lastApplied: last, docBlocks: [], oplogBlocks: [] };
}
