import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { backupIdFor, CHECKSUM_FORMAT, parseArchiveMetadataJson, type BackupMetadata } from '../../../shared/backups/metadata';
import { describeReadFailure, invalidArchive } from './archive-errors';
import { assertGzip } from './archive-checks';
import { MAX_METADATA_BYTES, normaliseMember, scanArchive } from './archive-scan';
import { METADATA_ENTRY } from './juju-archive';

/**
 * The project's one archive reader: inspects a Juju backup without
 * extracting it, verifies its checksum as a stream, and extracts it safely.
 * Backups (list, verify, upload) and restore both use it; the streaming pass
 * itself is `scanArchive` (archive-scan.ts).
 */

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** Called as the compressed file is read. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface ArchiveMember {
  readonly path: string;
  readonly type: string;
  readonly size: number;
}

export interface DumpCollectionInfo {
  readonly name: string;
  readonly bsonBytes: number;
  readonly hasMetadata: boolean;
}

export interface DumpDatabaseInfo {
  readonly name: string;
  readonly collections: readonly DumpCollectionInfo[];
}

export interface ArchiveInspection {
  readonly file: string;
  readonly size: number;
  /** SHA-1 of the file, base64, computed while reading. */
  readonly checksum: string;
  /** `metadata.json` as written in the archive (ID, checksum, size empty as Juju leaves them). */
  readonly archiveMetadata: BackupMetadata;
  /** What Juju derives for the file on upload: ID from Started + Environment, size, checksum, finished = file time. */
  readonly metadata: BackupMetadata;
  readonly entries: readonly ArchiveMember[];
  readonly databases: readonly DumpDatabaseInfo[];
  readonly oplogBytes: number | null;
  readonly rootTar: { readonly present: boolean; readonly members: readonly ArchiveMember[]; readonly memberCount: number };
  /** Members a safe extraction would refuse (absolute, `..`, escaping links, devices). */
  readonly unsafeMembers: readonly string[];
}


function readFileWithHash(file: string, size: number, options: ReadOptions): { stream: Readable; digest: () => string } {
  const hash = crypto.createHash('sha1');
  let read = 0;
  let lastReport = 0;
  const source = createReadStream(file, { highWaterMark: 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      read += chunk.length;
      const now = Date.now();
      if (options.onProgress && (now - lastReport > 100 || read === size)) {
        lastReport = now;
        options.onProgress(read, size);
      }
      cb(null, chunk);
    },
  });
  source.on('error', (e) => tap.destroy(e));
  source.pipe(tap);
  return { stream: tap, digest: () => hash.digest('base64') };
}

/** SHA-1 (base64) of a file, streamed: Juju's checksum. */
export async function checksumFile(file: string, options: ReadOptions = {}): Promise<{ checksum: string; size: number }> {
  const size = (await stat(file)).size;
  const { stream, digest } = readFileWithHash(file, size, options);
  for await (const _chunk of stream) void _chunk;
  options.signal?.throwIfAborted();
  return { checksum: digest(), size };
}

/** Feeds a byte stream into a tar parser, honouring its backpressure; resolves when the parser ends. */
function feedParser(source: Readable, parser: tar.Parser): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (error) {
        source.destroy();
        reject(error);
      } else resolve();
    };
    parser.on('error', (e: unknown) => finish(e));
    parser.on('drain', () => source.resume());
    parser.on('close', () => finish());
    source.on('data', (chunk: Buffer) => {
      if (!parser.write(chunk)) source.pause();
    });
    source.on('end', () => parser.end());
    source.on('error', (e) => finish(e));
  });
}

/**
 * Reads a whole archive once (`scanArchive`): checksum, entry list,
 * `metadata.json`, the dump layout and `root.tar`'s members. Nothing is
 * written to disk. Lenient where listing a library must be (unsafe members
 * are reported, not refused; a dump's BSON is not judged); restore's
 * `inspectBackup` is the strict reading of the same scan.
 */
export async function inspectArchive(file: string, options: ReadOptions = {}): Promise<ArchiveInspection> {
  const name = path.basename(file);
  const st = await stat(file).catch(() => null);
  const scan = await scanArchive(file, options);
  if (scan.entryCount === 0) throw invalidArchive(name, 'the contents are not a valid tar archive');
  if (scan.metadataText === null) {
    throw invalidArchive(name, scan.metadataBytes > MAX_METADATA_BYTES ? `${METADATA_ENTRY} is too large to be Juju's` : `there is no ${METADATA_ENTRY} (not a Juju 1.21+ backup)`);
  }
  let archiveMetadata: BackupMetadata;
  try {
    archiveMetadata = parseArchiveMetadataJson(scan.metadataText);
  } catch (error) {
    throw invalidArchive(name, `metadata.json is unreadable: ${(error as Error).message}`, error);
  }
  if (scan.rootTar.error !== null) throw invalidArchive(name, `root.tar is damaged: ${describeReadFailure(scan.rootTar.error)}`, scan.rootTar.error);
  const when = st ?? { ctime: new Date(), mtime: new Date() };
  const finished = (when.ctime.getTime() > 0 ? when.ctime : when.mtime).toISOString();
  const started = archiveMetadata.started;
  const metadata: BackupMetadata = {
    ...archiveMetadata,
    id: started === null ? '' : backupIdFor(new Date(started), archiveMetadata.environment),
    checksum: scan.checksum,
    checksumFormat: CHECKSUM_FORMAT,
    size: scan.size,
    stored: null,
    finished: archiveMetadata.finished ?? finished,
  };
  const dbs = new Map<string, DumpCollectionInfo[]>();
  for (const c of scan.collections) {
    const list = dbs.get(c.db) ?? [];
    dbs.set(c.db, list);
    list.push({ name: c.name, bsonBytes: c.bson?.bytes ?? 0, hasMetadata: c.metadata !== null || c.metadataProblem !== null });
  }
  const databases: DumpDatabaseInfo[] = [...dbs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([db, colls]) => ({ name: db, collections: [...colls].sort((a, b) => a.name.localeCompare(b.name)) }));
  return {
    file,
    size: scan.size,
    checksum: scan.checksum,
    archiveMetadata,
    metadata,
    entries: scan.entries,
    databases,
    oplogBytes: scan.oplog?.bytes ?? null,
    rootTar: { present: scan.rootTar.present, members: scan.rootTar.members, memberCount: scan.rootTar.memberCount },
    unsafeMembers: scan.unsafe,
  };
}

/**
 * Reads only `metadata.json` (and stops there): what listing a folder of
 * archives needs without reading every byte. The derived ID and size are
 * filled as Juju's upload would; the checksum stays empty until verified.
 */
export async function readArchiveMetadata(file: string): Promise<BackupMetadata> {
  const name = path.basename(file);
  const size = await assertGzip(file);
  const source = createReadStream(file, { highWaterMark: 256 * 1024 });
  const gunzip = zlib.createGunzip();
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  let text: string | null = null;
  let sawEntry = false;
  const found = new AbortController();
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      sawEntry = true;
      if (normaliseMember(entry.path) === METADATA_ENTRY && entry.type === 'File') {
        const parts: Buffer[] = [];
        entry.on('data', (c: Buffer) => parts.push(c));
        entry.on('end', () => {
          text = Buffer.concat(parts).toString('utf8');
          found.abort();
        });
        return;
      }
      entry.resume();
    },
  });
  try {
    await Promise.race([
      feedParser(gunzip, parser),
      new Promise<void>((resolve) => found.signal.addEventListener('abort', () => resolve(), { once: true })),
    ]);
  } catch (error) {
    if (text === null) throw invalidArchive(name, describeReadFailure(error), error);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  if (text === null) {
    throw invalidArchive(name, sawEntry ? `there is no ${METADATA_ENTRY} (not a Juju 1.21+ backup)` : 'the contents are not a valid tar archive');
  }
  let meta: BackupMetadata;
  try {
    meta = parseArchiveMetadataJson(text);
  } catch (error) {
    throw invalidArchive(name, `metadata.json is unreadable: ${(error as Error).message}`, error);
  }
  const st = await stat(file);
  return {
    ...meta,
    id: meta.started === null ? '' : backupIdFor(new Date(meta.started), meta.environment),
    checksumFormat: CHECKSUM_FORMAT,
    size,
    finished: meta.finished ?? (st.ctime.getTime() > 0 ? st.ctime : st.mtime).toISOString(),
  };
}

export { extractArchive, extractTarStream, type ExtractResult } from './safe-extract';
export { unsafeReason } from './archive-checks';
export { scanArchive, type ArchiveScan, type ScannedCollection, type ScannedMember } from './archive-scan';
