import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { backupIdFor, CHECKSUM_FORMAT, parseArchiveMetadataJson, type BackupMetadata } from '../../../shared/backups/metadata';
import { describeReadFailure, invalidArchive } from './archive-errors';
import { assertGzip, unsafeReason } from './archive-checks';
import { DUMP_DIR, METADATA_ENTRY, OPLOG_ENTRY, ROOT_TAR_ENTRY } from './juju-archive';

/**
 * The project's one archive reader: inspects a Juju backup without
 * extracting it, verifies its checksum as a stream, and extracts it safely.
 * Backups (list, verify, upload) and restore both use it.
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

const MAX_LISTED = 20_000;
const MAX_METADATA_BYTES = 1024 * 1024;

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

function normaliseMember(p: string): string {
  return p.replace(/^\.\//, '');
}

/**
 * Reads a whole archive once: checksum, entry list, `metadata.json`, the dump
 * layout and `root.tar`'s members. Nothing is written to disk.
 */
export async function inspectArchive(file: string, options: ReadOptions = {}): Promise<ArchiveInspection> {
  const name = path.basename(file);
  const size = await assertGzip(file);
  const st = await stat(file);
  const { stream, digest } = readFileWithHash(file, size, options);
  const entries: ArchiveMember[] = [];
  const unsafe: string[] = [];
  const rootMembers: ArchiveMember[] = [];
  let rootCount = 0;
  let rootPresent = false;
  let rootError: unknown = null;
  let metadataText: string | null = null;
  let oplogBytes: number | null = null;
  const dbs = new Map<string, Map<string, { bson: number; meta: boolean }>>();
  const innerDone: Array<Promise<void>> = [];

  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      const p = normaliseMember(entry.path);
      if (entries.length < MAX_LISTED) entries.push({ path: p, type: entry.type, size: entry.size });
      const reason = unsafeReason(entry.path, entry.type, entry.linkpath);
      if (reason) unsafe.push(`${p} (${reason})`);
      if (p === METADATA_ENTRY && entry.type === 'File') {
        const parts: Buffer[] = [];
        let n = 0;
        entry.on('data', (c: Buffer) => {
          n += c.length;
          if (n <= MAX_METADATA_BYTES) parts.push(c);
        });
        entry.on('end', () => {
          metadataText = Buffer.concat(parts).toString('utf8');
        });
        return;
      }
      if (p === ROOT_TAR_ENTRY && entry.type === 'File') {
        rootPresent = true;
        const inner = new tar.Parser({
          strict: true,
          onReadEntry: (m) => {
            rootCount++;
            if (rootMembers.length < MAX_LISTED) rootMembers.push({ path: normaliseMember(m.path), type: m.type, size: m.size });
            const r = unsafeReason(m.path, m.type, m.linkpath);
            if (r) unsafe.push(`root.tar:${m.path} (${r})`);
            m.resume();
          },
        });
        innerDone.push(
          new Promise<void>((resolve) => {
            inner.on('error', (e: unknown) => {
              rootError = e;
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
      if (p === OPLOG_ENTRY) oplogBytes = entry.size;
      else if (p.startsWith(`${DUMP_DIR}/`) && entry.type === 'File') {
        const rest = p.slice(DUMP_DIR.length + 1).split('/');
        if (rest.length === 2) {
          const [db, fileName] = rest as [string, string];
          const colls = dbs.get(db) ?? new Map<string, { bson: number; meta: boolean }>();
          dbs.set(db, colls);
          if (fileName.endsWith('.metadata.json')) {
            const c = fileName.slice(0, -'.metadata.json'.length);
            const rec = colls.get(c) ?? { bson: 0, meta: false };
            colls.set(c, { ...rec, meta: true });
          } else if (fileName.endsWith('.bson')) {
            const c = fileName.slice(0, -'.bson'.length);
            const rec = colls.get(c) ?? { bson: 0, meta: false };
            colls.set(c, { ...rec, bson: entry.size });
          }
        }
      }
      entry.resume();
    },
  });

  let sawEntry = false;
  parser.on('entry', () => {
    sawEntry = true;
  });
  const gunzip = zlib.createGunzip();
  stream.on('error', (e) => gunzip.destroy(e));
  stream.pipe(gunzip);
  try {
    await feedParser(gunzip, parser);
    await Promise.all(innerDone);
    // Read to the end of the file so the checksum covers every byte.
    if (!stream.readableEnded) for await (const _c of stream) void _c;
  } catch (error) {
    options.signal?.throwIfAborted();
    throw invalidArchive(name, describeReadFailure(error), error);
  }
  options.signal?.throwIfAborted();
  if (entries.length === 0 && !sawEntry) throw invalidArchive(name, 'the contents are not a valid tar archive');
  if (metadataText === null) throw invalidArchive(name, `there is no ${METADATA_ENTRY} (not a Juju 1.21+ backup)`);
  let archiveMetadata: BackupMetadata;
  try {
    archiveMetadata = parseArchiveMetadataJson(metadataText);
  } catch (error) {
    throw invalidArchive(name, `metadata.json is unreadable: ${(error as Error).message}`, error);
  }
  if (rootError !== null) throw invalidArchive(name, `root.tar is damaged: ${describeReadFailure(rootError)}`, rootError);
  const checksum = digest();
  const finished = (st.ctime.getTime() > 0 ? st.ctime : st.mtime).toISOString();
  const started = archiveMetadata.started;
  const metadata: BackupMetadata = {
    ...archiveMetadata,
    id: started === null ? '' : backupIdFor(new Date(started), archiveMetadata.environment),
    checksum,
    checksumFormat: CHECKSUM_FORMAT,
    size,
    stored: null,
    finished: archiveMetadata.finished ?? finished,
  };
  const databases: DumpDatabaseInfo[] = [...dbs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([db, colls]) => ({
      name: db,
      collections: [...colls.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([c, r]) => ({ name: c, bsonBytes: r.bson, hasMetadata: r.meta })),
    }));
  return {
    file,
    size,
    checksum,
    archiveMetadata,
    metadata,
    entries,
    databases,
    oplogBytes,
    rootTar: { present: rootPresent, members: rootMembers, memberCount: rootCount },
    unsafeMembers: unsafe,
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
