import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { QuorumError } from '../../../shared/errors';
import { backupIdFor, CHECKSUM_FORMAT, parseArchiveMetadataJson, type BackupMetadata } from '../../../shared/backups/metadata';
import { describeReadFailure, invalidArchive } from './archive-errors';
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

async function assertGzip(file: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw invalidArchive(path.basename(file), 'it is not a regular file');
    size = st.size;
  } catch (error) {
    if (error instanceof QuorumError) throw error;
    throw new QuorumError('not-found', `${file} cannot be read. Check that it exists and that Quorum may read it.`, { cause: error });
  }
  if (size < 2) throw invalidArchive(path.basename(file), size === 0 ? 'the file is empty' : 'it is not a gzip file');
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    if (head[0] !== 0x1f || head[1] !== 0x8b) throw invalidArchive(path.basename(file), 'it is not a gzip file');
  } finally {
    await handle.close();
  }
  return size;
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

function normaliseMember(p: string): string {
  return p.replace(/^\.\//, '');
}

/** Why a member would be unsafe to extract under a target directory, or null. */
export function unsafeReason(entryPath: string, type: string, linkpath: string | undefined): string | null {
  const p = entryPath.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'absolute path';
  if (p.split('/').includes('..')) return 'path climbs out with ..';
  switch (type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
    case 'Directory':
    case 'GNUDumpDir':
      return null;
    case 'SymbolicLink': {
      const target = (linkpath ?? '').replace(/\\/g, '/');
      if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return 'symbolic link to an absolute path';
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(p), target));
      if (resolved === '..' || resolved.startsWith('../')) return 'symbolic link escapes the target';
      return null;
    }
    case 'Link': {
      const target = (linkpath ?? '').replace(/\\/g, '/');
      if (target.startsWith('/') || target.split('/').includes('..')) return 'hard link escapes the target';
      return null;
    }
    default:
      return `special file (${type})`;
  }
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

export interface ExtractResult {
  readonly files: number;
  readonly bytes: number;
}

/**
 * Extracts an uncompressed tar stream under `target` and nowhere else: the
 * `tar` package's defaults (absolute paths stripped, `..` skipped, no writing
 * through symlinks) plus an explicit refusal of any member that is absolute,
 * climbs with `..`, links outside the target or is a device/FIFO. The first
 * such member stops the extraction with `unsafe-path`.
 */
export async function extractTarStream(source: Readable, target: string, options: { readonly signal?: AbortSignal } = {}): Promise<ExtractResult> {
  await mkdir(target, { recursive: true, mode: 0o700 });
  let files = 0;
  let bytes = 0;
  let refused: string | null = null;
  const unpack = new tar.Unpack({
    cwd: target,
    strict: true,
    preservePaths: false,
    filter: (p, entry) => {
      const e = entry as tar.ReadEntry;
      const reason = unsafeReason(p, e.type, e.linkpath);
      if (reason && refused === null) {
        refused = `${p} (${reason})`;
        source.destroy();
        unpack.abort(new QuorumError('unsafe-path', `The archive holds an unsafe member, ${refused}; nothing more was extracted. Do not use this archive.`));
        return false;
      }
      if (reason) return false;
      files++;
      bytes += e.size;
      return true;
    },
  });
  // On error, wait for the unpacker to close (bounded) so no write lands after the caller cleans up.
  const done = new Promise<void>((resolve, reject) => {
    let failure: unknown = null;
    unpack.on('error', (e: unknown) => {
      failure ??= e;
      setTimeout(() => reject(failure), 2_000).unref();
    });
    unpack.on('close', () => (failure === null ? resolve() : reject(failure)));
  });
  options.signal?.addEventListener('abort', () => source.destroy(new QuorumError('cancelled', 'Extraction was cancelled.')), { once: true });
  source.on('error', (e) => unpack.abort(e));
  source.on('data', (c: Buffer) => {
    if (!unpack.write(c)) source.pause();
  });
  unpack.on('drain', () => source.resume());
  source.on('end', () => unpack.end());
  try {
    await done;
  } catch (error) {
    if (refused !== null) {
      throw new QuorumError('unsafe-path', `The archive holds an unsafe member, ${refused}; nothing more was extracted. Do not use this archive.`, { cause: error });
    }
    if (error instanceof QuorumError) throw error;
    throw new QuorumError('archive-invalid', `Extraction failed: ${describeReadFailure(error)}.`, { cause: error });
  }
  if (refused !== null) throw new QuorumError('unsafe-path', `The archive holds an unsafe member, ${refused}; nothing more was extracted. Do not use this archive.`);
  return { files, bytes };
}

/**
 * Extracts a Juju backup `.tar.gz` into an empty (or new) directory. On any
 * failure the directory's contents are removed, so nothing half-extracted
 * looks usable.
 */
export async function extractArchive(file: string, target: string, options: ReadOptions = {}): Promise<ExtractResult> {
  const size = await assertGzip(file);
  await mkdir(target, { recursive: true, mode: 0o700 });
  if ((await readdir(target)).length > 0) {
    throw new QuorumError('conflict', `${target} is not empty; extraction needs an empty folder.`);
  }
  const { stream } = readFileWithHash(file, size, options);
  const gunzip = zlib.createGunzip();
  stream.on('error', (e) => gunzip.destroy(e));
  stream.pipe(gunzip);
  try {
    return await extractTarStream(gunzip, target, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    for (const child of await readdir(target).catch(() => [] as string[])) await rm(path.join(target, child), { recursive: true, force: true });
    if (error instanceof QuorumError && error.code === 'archive-invalid') throw invalidArchive(path.basename(file), describeReadFailure(error.cause));
    throw error;
  }
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
