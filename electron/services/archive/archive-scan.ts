import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { parseCollectionMetadata, type CollectionMetadata } from '../../../shared/restore/collection-metadata';
import { assertGzip, unsafeReason } from './archive-checks';
import { describeReadFailure, invalidArchive } from './archive-errors';
import { BsonFrameCounter } from './bson-frames';
import { CONTENT_DIR, DUMP_DIR, METADATA_ENTRY, OPLOG_ENTRY, ROOT_TAR_ENTRY } from './juju-archive';

/**
 * The one streaming pass over a `.tar.gz` that every reader of Juju backups
 * builds on (backups' `inspectArchive`, restore's `inspectBackup`): SHA-1 of
 * the compressed bytes, gzip integrity (CRC, length, truncation, trailing
 * data), tar integrity, every member's path and type (unsafe ones noted),
 * `metadata.json`'s text, `root.tar`'s members (its inner tar streamed, never
 * stored), and per dumped collection the BSON document count and its
 * metadata.json. Memory stays flat whatever the archive's size; nothing is
 * written to disk. The scan records what it saw; callers decide what is fatal.
 */

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Called as the compressed file is read. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Members listed (outer and root.tar each); counting goes on past it. */
  readonly listLimit?: number;
}

export interface ScannedMember {
  readonly path: string;
  readonly type: string;
  readonly size: number;
}

export interface ScannedBson {
  readonly bytes: number;
  readonly documents: number;
  /** Why the file is not a sequence of whole BSON documents, or null. */
  readonly problem: string | null;
}

export interface ScannedCollection {
  readonly db: string;
  readonly name: string;
  readonly bson: ScannedBson | null;
  /** Parsed `<coll>.metadata.json`, its parse error, or neither when absent. */
  readonly metadata: CollectionMetadata | null;
  readonly metadataProblem: string | null;
}

export interface ArchiveScan {
  readonly file: string;
  readonly size: number;
  readonly checksum: string;
  readonly uncompressedBytes: number;
  readonly entries: readonly ScannedMember[];
  readonly entryCount: number;
  /** Members a safe extraction refuses, with the reason; `root.tar:` prefixes inner ones (at most the list limit). */
  readonly unsafe: readonly string[];
  /** Members outside `juju-backup/`. */
  readonly outside: readonly string[];
  readonly duplicates: readonly string[];
  /** Extended (pax) headers too large to honour, which the tar parser skips. */
  readonly oversizedHeaders: readonly string[];
  /** Non-zero bytes after the tar's end-of-archive blocks. */
  readonly dataAfterEnd: boolean;
  readonly metadataText: string | null;
  readonly metadataBytes: number;
  readonly rootTar: {
    readonly present: boolean;
    readonly members: readonly ScannedMember[];
    readonly memberCount: number;
    readonly bytes: number;
    readonly agentConfs: readonly string[];
    readonly error: unknown;
  };
  /** Any member under `juju-backup/dump/`. */
  readonly dumpPresent: boolean;
  readonly collections: readonly ScannedCollection[];
  readonly oplog: (ScannedBson & { readonly first: Buffer | null; readonly last: Buffer | null }) | null;
  /** Members under `juju-backup/` that are neither metadata.json, root.tar nor the dump's files. */
  readonly otherMembers: readonly string[];
}

export const DEFAULT_LIST_LIMIT = 20_000;
export const MAX_METADATA_BYTES = 1024 * 1024;
const AGENT_CONF = /^var\/lib\/juju\/agents\/machine-[^/]+\/agent\.conf$/;

export function normaliseMember(p: string): string {
  return p.replace(/^(\.\/)+/, '');
}

/** Collects an entry's bytes up to a cap; calls back with the text (null when over the cap). */
function collectText(entry: tar.ReadEntry, cap: number, done: (text: string | null, bytes: number) => void): void {
  const parts: Buffer[] = [];
  let n = 0;
  entry.on('data', (c: Buffer) => {
    n += c.length;
    if (n <= cap) parts.push(c);
  });
  entry.on('end', () => done(n <= cap ? Buffer.concat(parts).toString('utf8') : null, n));
}

interface CollectionAcc {
  bson: BsonFrameCounter | null;
  bsonSize: number;
  metadata: CollectionMetadata | null;
  metadataProblem: string | null;
}

/** Runs the pass. Throws `archive-invalid` only when the bytes cannot be read as gzip + tar at all. */
export async function scanArchive(file: string, options: ScanOptions = {}): Promise<ArchiveScan> {
  const name = path.basename(file);
  const size = await assertGzip(file);
  const limit = options.listLimit ?? DEFAULT_LIST_LIMIT;
  const hash = crypto.createHash('sha1');
  const entries: ScannedMember[] = [];
  const unsafe: string[] = [];
  const outside: string[] = [];
  const duplicates: string[] = [];
  const oversized: string[] = [];
  const other: string[] = [];
  const seen = new Set<string>();
  const rootMembers: ScannedMember[] = [];
  const agentConfs: string[] = [];
  const colls = new Map<string, CollectionAcc>();
  const innerDone: Array<Promise<void>> = [];
  let entryCount = 0;
  let rootCount = 0;
  let rootBytes = 0;
  let rootPresent = false;
  let rootError: unknown = null;
  let metadataText: string | null = null;
  let metadataBytes = 0;
  let dumpPresent = false;
  let oplog: BsonFrameCounter | null = null;
  let oplogSize = 0;
  let tarEnded = false;
  let dataAfterEnd = false;

  const collection = (db: string, coll: string): CollectionAcc => {
    const key = `${db}\u0000${coll}`;
    let acc = colls.get(key);
    if (!acc) colls.set(key, (acc = { bson: null, bsonSize: 0, metadata: null, metadataProblem: null }));
    return acc;
  };
  const countBson = (entry: tar.ReadEntry, counter: BsonFrameCounter): void => {
    entry.on('data', (c: Buffer) => counter.write(c));
    entry.on('end', () => counter.end());
  };

  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      const p = normaliseMember(entry.path);
      entryCount++;
      if (entries.length < limit) entries.push({ path: p, type: entry.type, size: entry.size });
      const reason = unsafeReason(entry.path, entry.type, entry.linkpath);
      if (reason && unsafe.length < limit) unsafe.push(`${p} (${reason})`);
      const dirless = p.replace(/\/+$/, '');
      if (dirless !== CONTENT_DIR && !p.startsWith(`${CONTENT_DIR}/`) && outside.length < limit) outside.push(p);
      if (seen.has(dirless) && entry.type !== 'Directory' && duplicates.length < limit) duplicates.push(p);
      seen.add(dirless);
      if (dirless === DUMP_DIR || p.startsWith(`${DUMP_DIR}/`)) dumpPresent = true;
      const isFile = entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile';
      if (p === METADATA_ENTRY && isFile) {
        collectText(entry, MAX_METADATA_BYTES, (text, bytes) => {
          metadataText = text;
          metadataBytes = bytes;
        });
        return;
      }
      if (p === ROOT_TAR_ENTRY && isFile && !rootPresent) {
        rootPresent = true;
        const inner = new tar.Parser({
          strict: true,
          onReadEntry: (m) => {
            rootCount++;
            const mp = normaliseMember(m.path);
            if (rootMembers.length < limit) rootMembers.push({ path: mp, type: m.type, size: m.size });
            if (m.type === 'File') rootBytes += m.size;
            if (AGENT_CONF.test(mp) && m.type === 'File') agentConfs.push(mp);
            const r = unsafeReason(m.path, m.type, m.linkpath);
            if (r && unsafe.length < limit) unsafe.push(`root.tar:${mp} (${r})`);
            m.resume();
          },
        });
        inner.on('ignoredEntry', (m: tar.ReadEntry) => {
          if (m.meta) oversized.push(`root.tar: extended header of ${m.size} bytes`);
        });
        innerDone.push(
          new Promise<void>((resolve) => {
            inner.on('error', (e: unknown) => {
              rootError ??= e;
              resolve();
            });
            inner.on('close', () => resolve());
          }),
        );
        entry.on('data', (c: Buffer) => {
          if (rootError === null && !inner.write(c)) {
            entry.pause();
            inner.once('drain', () => entry.resume());
          }
        });
        entry.on('end', () => inner.end());
        return;
      }
      if (p === OPLOG_ENTRY && isFile) {
        oplog = new BsonFrameCounter({ keepEnds: true });
        oplogSize = entry.size;
        countBson(entry, oplog);
        return;
      }
      if (p.startsWith(`${DUMP_DIR}/`) && isFile) {
        const rest = p.slice(DUMP_DIR.length + 1).split('/');
        if (rest.length === 2) {
          const [db, fileName] = rest as [string, string];
          if (fileName.endsWith('.metadata.json')) {
            const acc = collection(db, fileName.slice(0, -'.metadata.json'.length));
            collectText(entry, MAX_METADATA_BYTES, (text, bytes) => {
              if (text === null) acc.metadataProblem = `it is ${bytes} bytes, too large for a collection's metadata`;
              else {
                try {
                  acc.metadata = parseCollectionMetadata(text);
                } catch (error) {
                  acc.metadataProblem = (error as Error).message;
                }
              }
            });
            return;
          }
          if (fileName.endsWith('.bson')) {
            const acc = collection(db, fileName.slice(0, -'.bson'.length));
            acc.bson = new BsonFrameCounter();
            acc.bsonSize = entry.size;
            countBson(entry, acc.bson);
            return;
          }
        }
      }
      if (p.startsWith(`${CONTENT_DIR}/`) && entry.type !== 'Directory' && !p.startsWith(`${DUMP_DIR}/`) && other.length < limit) other.push(p);
      if (p.startsWith(`${DUMP_DIR}/`) && entry.type !== 'Directory' && other.length < limit) other.push(p);
      entry.resume();
    },
  });
  parser.on('ignoredEntry', (e: tar.ReadEntry) => {
    if (e.meta) oversized.push(`extended header of ${e.size} bytes`);
  });
  parser.on('eof', () => {
    tarEnded = true;
  });

  const source = createReadStream(file, { highWaterMark: 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  const gunzip = zlib.createGunzip();
  let read = 0;
  let lastReport = 0;
  let uncompressed = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        if (error) {
          source.destroy();
          gunzip.destroy();
          reject(error);
        } else resolve();
      };
      source.on('data', (data: Buffer | string) => {
        const chunk = data as Buffer;
        hash.update(chunk);
        read += chunk.length;
        const now = Date.now();
        if (options.onProgress && (now - lastReport > 100 || read === size)) {
          lastReport = now;
          options.onProgress(read, size);
        }
        if (!gunzip.write(chunk)) source.pause();
      });
      gunzip.on('drain', () => source.resume());
      source.on('end', () => gunzip.end());
      source.on('error', finish);
      gunzip.on('error', (e) => finish(uncompressed > 0 && /incorrect header check/.test(e.message) ? new TrailingGarbage(e) : e));
      gunzip.on('data', (chunk: Buffer) => {
        uncompressed += chunk.length;
        if (tarEnded) {
          if (!dataAfterEnd && chunk.some((b) => b !== 0)) dataAfterEnd = true;
          return;
        }
        const more = parser.write(chunk);
        // The rest of the chunk the end-of-archive blocks arrived in stays in the parser's buffer.
        if (tarEnded && !dataAfterEnd && parserLeftover(parser).some((b) => b !== 0)) dataAfterEnd = true;
        if (!more) gunzip.pause();
      });
      parser.on('drain', () => gunzip.resume());
      parser.on('error', finish);
      gunzip.on('end', () => parser.end());
      parser.on('close', () => finish());
    });
    await Promise.all(innerDone);
  } catch (error) {
    options.signal?.throwIfAborted();
    let reason = error instanceof TrailingGarbage ? 'there is data after the end of the gzip stream that is not gzip (trailing garbage)' : describeReadFailure(error);
    // A bad header checksum before any entry: the gzip holds no tar at all, not a damaged one.
    if (entryCount === 0 && reason.startsWith('a tar header is damaged')) reason = 'the contents are not a valid tar archive';
    throw invalidArchive(name, reason, error);
  }
  options.signal?.throwIfAborted();
  if (gunzip.bytesWritten < size) {
    throw invalidArchive(name, `${size - gunzip.bytesWritten} bytes follow the end of the gzip stream (trailing garbage)`);
  }
  const o = oplog as BsonFrameCounter | null;
  return {
    file,
    size,
    checksum: hash.digest('base64'),
    uncompressedBytes: uncompressed,
    entries,
    entryCount,
    unsafe,
    outside,
    duplicates,
    oversizedHeaders: oversized,
    dataAfterEnd,
    metadataText,
    metadataBytes,
    rootTar: { present: rootPresent, members: rootMembers, memberCount: rootCount, bytes: rootBytes, agentConfs, error: rootError },
    dumpPresent,
    collections: [...colls.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, acc]) => {
        const [db, coll] = key.split('\u0000') as [string, string];
        return {
          db,
          name: coll,
          bson: acc.bson && { bytes: acc.bsonSize, documents: acc.bson.documents, problem: acc.bson.problem },
          metadata: acc.metadata,
          metadataProblem: acc.metadataProblem,
        };
      }),
    oplog: o && { bytes: oplogSize, documents: o.documents, problem: o.problem, first: o.first, last: o.last },
    otherMembers: other,
  };
}

/**
 * The bytes a tar.Parser (tar 7) kept after it saw the end-of-archive
 * blocks: it parks them in a private `Symbol('buffer')` field and never
 * reads them. Empty when the field is not found.
 */
function parserLeftover(parser: tar.Parser): Buffer {
  const key = Object.getOwnPropertySymbols(parser).find((k) => k.description === 'buffer');
  const value = key === undefined ? undefined : (parser as unknown as Record<symbol, unknown>)[key];
  return Buffer.isBuffer(value) ? value : Buffer.alloc(0);
}

class TrailingGarbage extends Error {
  constructor(cause: Error) {
    super('trailing garbage', { cause });
  }
}
