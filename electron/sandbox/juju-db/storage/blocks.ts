/**
 * Content-addressed blocks: a snapshot stores each collection as runs of
 * whole BSON documents (1–16 MiB, cut where a document's `_id` says so, so
 * an edit only changes the blocks around it) in files named by their
 * SHA-256, under `<member>/blocks/`. Blocks are immutable, which lets:
 * - a restart read each block with one large sequential read and keep the
 *   documents as slices of it (no per-document copy, no object graph);
 * - members of one cluster share a loaded block (same hash, same bytes)
 *   instead of each holding its own copy, and hard-link each other's files;
 * - a compaction skip hashing and writing runs that did not change.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, link, mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { OplogEntry } from '../oplog';
import { idKeyOf } from '../raw-bson';

/** How a manifest names a block. */
export interface BlockRef {
  readonly hash: string;
  readonly len: number;
  readonly crc: number;
  /** Documents (or oplog entries) in the block. */
  readonly count: number;
}

/** A run of documents as stored: the views (slices of one buffer after a load) and their `_id` keys. */
export interface DocBlock {
  readonly ref: BlockRef;
  readonly ids: readonly string[];
  readonly docs: readonly Buffer[];
}

/** An oplog block as loaded: its entries, sharing document buffers with the doc blocks they reference. */
export interface OplogBlock {
  readonly ref: BlockRef;
  readonly entries: readonly OplogEntry[];
}

export const MIN_BLOCK_BYTES = 2 * 1024 * 1024;
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

/** FNV-1a of a string: a cheap, stable cut decision per document. */
export function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Whether a block ends after this item. Content-defined: past the minimum
 * size, an item whose key hashes to 0 mod 16 closes the block, so inserting
 * or deleting one document moves at most the cut next to it.
 */
export function cutAfter(keyHash: number, blockBytes: number): boolean {
  return blockBytes >= MAX_BLOCK_BYTES || (blockBytes >= MIN_BLOCK_BYTES && keyHash % 16 === 0);
}

/** Split documents (in collection order) into block ranges `[start, end)`. */
export function docRanges(ids: readonly string[], docs: readonly Buffer[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < docs.length; i++) {
    bytes += docs[i]!.length;
    if (cutAfter(fnv(ids[i]!), bytes)) {
      out.push([start, i + 1]);
      start = i + 1;
      bytes = 0;
    }
  }
  if (start < docs.length) out.push([start, docs.length]);
  return out;
}

/** SHA-256, CRC-32 and length of some parts, as one block. */
export function digest(parts: readonly Buffer[], count: number): BlockRef {
  const h = createHash('sha256');
  let crc = 0;
  let len = 0;
  for (const p of parts) {
    h.update(p);
    crc = crc32(p, crc);
    len += p.length;
  }
  return { hash: h.digest('hex'), len, crc, count };
}

const offsetCache = new WeakMap<DocBlock, Float64Array>();

/** Byte offsets of each document inside its block (computed once per block). */
export function docOffsets(block: DocBlock): Float64Array {
  const cached = offsetCache.get(block);
  if (cached) return cached;
  const out = new Float64Array(block.docs.length);
  offsetCache.set(block, out);
  let pos = 0;
  for (let i = 0; i < block.docs.length; i++) {
    out[i] = pos;
    pos += block.docs[i]!.length;
  }
  return out;
}

export class CorruptBlockError extends Error {}

/** Parse a doc block read from disk: documents become slices of `buf`. */
export function parseDocBlock(ref: BlockRef, buf: Buffer): DocBlock {
  if (buf.length !== ref.len || crc32(buf) !== ref.crc) throw new CorruptBlockError(`block ${ref.hash} is damaged`);
  const docs: Buffer[] = new Array(ref.count);
  const ids: string[] = new Array(ref.count);
  let pos = 0;
  for (let i = 0; i < ref.count; i++) {
    if (pos + 5 > buf.length) throw new CorruptBlockError(`block ${ref.hash} is shorter than its ${ref.count} documents`);
    const size = buf.readInt32LE(pos);
    const doc = buf.subarray(pos, pos + size);
    const id = idKeyOf(doc);
    if (id === undefined) throw new CorruptBlockError(`block ${ref.hash} holds a document without _id`);
    docs[i] = doc;
    ids[i] = id;
    pos += size;
  }
  if (pos !== buf.length) throw new CorruptBlockError(`block ${ref.hash} has trailing bytes`);
  return { ref, ids, docs };
}

/**
 * Blocks and runs shared by the members of one cluster (one per cluster, so
 * unrelated clusters in one process never mix data).
 */
export class SharedBlocks {
  private readonly docBlocks = new Map<string, WeakRef<DocBlock>>();
  private readonly oplogBlocks = new Map<string, WeakRef<OplogBlock>>();
  private readonly files = new Map<string, string>();
  private readonly reading = new Map<string, Promise<DocBlock>>();
  private readonly readingOplog = new Map<string, Promise<OplogBlock>>();
  /** The block last computed for a run starting with this document (skips re-hashing unchanged runs). */
  private readonly runs = new WeakMap<Buffer, DocBlock>();
  private readonly finalizer = new FinalizationRegistry<{ map: Map<string, WeakRef<object>>; hash: string }>(({ map, hash }) => {
    const ref = map.get(hash);
    if (ref && ref.deref() === undefined) map.delete(hash);
  });
  /** Counters for tests and benchmarks. */
  readonly stats = { blocksRead: 0, bytesRead: 0, blocksShared: 0, blocksWritten: 0, blocksLinked: 0, runsReused: 0 };

  private remember<T extends object>(map: Map<string, WeakRef<T>>, hash: string, value: T): void {
    map.set(hash, new WeakRef(value));
    this.finalizer.register(value, { map: map as unknown as Map<string, WeakRef<object>>, hash });
  }

  /** The block for documents `[start, end)` of a collection, hashed only if this run is new. */
  docBlock(ids: readonly string[], docs: readonly Buffer[], start: number, end: number): DocBlock {
    const cached = this.runs.get(docs[start]!);
    if (cached && cached.docs.length === end - start) {
      let same = true;
      for (let i = start; i < end && same; i++) same = cached.docs[i - start] === docs[i];
      if (same) {
        this.stats.runsReused++;
        return cached;
      }
    }
    const slice = docs.slice(start, end);
    const block: DocBlock = { ref: digest(slice, slice.length), ids: ids.slice(start, end), docs: slice };
    this.runs.set(slice[0]!, block);
    if (!this.docBlocks.get(block.ref.hash)?.deref()) this.remember(this.docBlocks, block.ref.hash, block);
    return block;
  }

  /**
   * Load a doc block: another member's copy when one is alive (or being read
   * right now by a member starting alongside), else one sequential read.
   */
  async loadDocBlock(dir: string, ref: BlockRef): Promise<DocBlock> {
    const live = this.docBlocks.get(ref.hash)?.deref();
    if (live && live.docs.length === ref.count) {
      this.stats.blocksShared++;
      return live;
    }
    const pending = this.reading.get(ref.hash);
    if (pending) {
      this.stats.blocksShared++;
      return pending;
    }
    const read = this.readDocBlock(dir, ref).finally(() => this.reading.delete(ref.hash));
    this.reading.set(ref.hash, read);
    return read;
  }

  private async readDocBlock(dir: string, ref: BlockRef): Promise<DocBlock> {
    const path = blockPath(dir, ref.hash);
    const buf = await readFile(path);
    this.stats.blocksRead++;
    this.stats.bytesRead += buf.length;
    const block = parseDocBlock(ref, buf);
    this.remember(this.docBlocks, ref.hash, block);
    if (block.docs.length > 0) this.runs.set(block.docs[0]!, block);
    this.files.set(ref.hash, path);
    return block;
  }

  /** An oplog block another member holds or is reading, else `read()` (shared with members starting alongside). */
  async oplogBlock(hash: string, read: () => Promise<OplogBlock>): Promise<OplogBlock> {
    const b = this.oplogBlocks.get(hash)?.deref() ?? this.readingOplog.get(hash);
    if (b) {
      this.stats.blocksShared++;
      return b;
    }
    const p = read().finally(() => this.readingOplog.delete(hash));
    this.readingOplog.set(hash, p);
    return p;
  }

  rememberOplogBlock(block: OplogBlock, path?: string): void {
    if (!this.oplogBlocks.get(block.ref.hash)?.deref()) this.remember(this.oplogBlocks, block.ref.hash, block);
    if (path) this.files.set(block.ref.hash, path);
  }

  async readBlockFile(dir: string, ref: BlockRef): Promise<Buffer> {
    const path = blockPath(dir, ref.hash);
    const buf = await readFile(path);
    this.stats.blocksRead++;
    this.stats.bytesRead += buf.length;
    if (buf.length !== ref.len || crc32(buf) !== ref.crc) throw new CorruptBlockError(`block ${ref.hash} is damaged`);
    this.files.set(ref.hash, path);
    return buf;
  }

  /**
   * Make sure `<dir>/blocks/<hash>.blk` exists: already there, hard-linked
   * from another member's identical file, or written (and synced) from parts.
   */
  async ensureFile(dir: string, ref: BlockRef, parts: readonly Buffer[], present: Set<string>): Promise<void> {
    if (present.has(ref.hash)) return;
    const path = blockPath(dir, ref.hash);
    if (!(await exists(path))) {
      const other = this.files.get(ref.hash);
      let linked = false;
      if (other && other !== path) {
        linked = await link(other, path).then(
          () => true,
          () => false,
        );
      }
      if (linked) this.stats.blocksLinked++;
      else {
        await writeFileSynced(path, parts);
        this.stats.blocksWritten++;
      }
    }
    this.files.set(ref.hash, path);
    present.add(ref.hash);
  }

  forget(path: string, hash: string): void {
    if (this.files.get(hash) === path) this.files.delete(hash);
  }
}

export function blockDir(dir: string): string {
  return join(dir, 'blocks');
}

export function blockPath(dir: string, hash: string): string {
  return join(dir, 'blocks', `${hash}.blk`);
}

export async function ensureBlockDir(dir: string): Promise<void> {
  await mkdir(blockDir(dir), { recursive: true });
}

async function exists(path: string): Promise<boolean> {
  return access(path, fsConstants.F_OK).then(
    () => true,
    () => false,
  );
}

/** Write parts to `path` through a temporary file, synced before the rename. */
export async function writeFileSynced(path: string, parts: readonly Buffer[]): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await writeAll(fh, parts);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** writev in groups of at most 1024 buffers, finishing any short write. */
export async function writeAll(fh: FileHandle, parts: readonly Buffer[]): Promise<void> {
  for (let i = 0; i < parts.length; i += 1024) {
    const group = parts.slice(i, i + 1024) as Buffer[];
    const total = group.reduce((n, b) => n + b.length, 0);
    let { bytesWritten } = await fh.writev(group);
    if (bytesWritten >= total) continue;
    for (const b of group) {
      if (bytesWritten >= b.length) {
        bytesWritten -= b.length;
        continue;
      }
      let rest = b.subarray(bytesWritten);
      bytesWritten = 0;
      while (rest.length > 0) {
        const r = await fh.write(rest);
        rest = rest.subarray(r.bytesWritten);
      }
    }
  }
}
