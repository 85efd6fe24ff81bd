import crypto from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { QuorumError } from '../../../shared/errors';
import { describeReadFailure, invalidArchive } from './archive-errors';
import { assertGzip, unsafeReason } from './archive-checks';

/**
 * Safe extraction of an archive (and of the `root.tar` inside it): nothing
 * is ever written outside the target folder.
 */

export interface ExtractOptions {
  readonly signal?: AbortSignal;
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
 * such member stops the extraction with `unsafe-path`. With `include`, only
 * the members it accepts are written (every member is still checked).
 */
export async function extractTarStream(
  source: Readable,
  target: string,
  options: { readonly signal?: AbortSignal; readonly include?: (memberPath: string) => boolean } = {},
): Promise<ExtractResult> {
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
      // Members left out are still checked above: one unsafe member refuses the whole archive.
      if (options.include && !options.include(p.replace(/^(\.\/)+/, ''))) return false;
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
export async function extractArchive(file: string, target: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  await assertGzip(file);
  await mkdir(target, { recursive: true, mode: 0o700 });
  if ((await readdir(target)).length > 0) {
    throw new QuorumError('conflict', `${target} is not empty; extraction needs an empty folder.`);
  }
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
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
 * Extracts chosen members of the `root.tar` inside a Juju backup straight
 * from the `.tar.gz`, without writing the archive or the rest of `root.tar`
 * anywhere: what a client-side restore needs (the origin machine's
 * agent.conf). Every member of `root.tar` is still checked as it passes and
 * an unsafe one refuses the lot (`unsafe-path`). Also returns the SHA-1 of
 * the file as read, so a caller can tell the file did not change since it
 * was inspected. On failure the target's contents are removed.
 */
export async function extractRootTarMembers(
  file: string,
  rootTarEntry: string,
  target: string,
  include: (memberPath: string) => boolean,
  options: ExtractOptions = {},
): Promise<ExtractResult & { readonly checksum: string; readonly found: boolean }> {
  await assertGzip(file);
  await mkdir(target, { recursive: true, mode: 0o700 });
  if ((await readdir(target)).length > 0) throw new QuorumError('conflict', `${target} is not empty; extraction needs an empty folder.`);
  const hash = crypto.createHash('sha1');
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  stream.on('data', (c) => hash.update(c));
  const gunzip = zlib.createGunzip();
  stream.on('error', (e) => gunzip.destroy(e));
  stream.pipe(gunzip);
  let inner: Promise<ExtractResult> | null = null;
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      if (inner === null && entry.path.replace(/^(\.\/)+/, '') === rootTarEntry && entry.type === 'File') {
        inner = extractTarStream(entry as unknown as Readable, target, { include, ...(options.signal ? { signal: options.signal } : {}) });
        // Keep the outer parse alive until the inner extraction has settled.
        inner.catch(() => undefined);
        return;
      }
      entry.resume();
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('error', reject);
      parser.on('close', () => resolve());
      gunzip.on('error', reject);
      gunzip.on('data', (c: Buffer) => {
        if (!parser.write(c)) gunzip.pause();
      });
      parser.on('drain', () => gunzip.resume());
      gunzip.on('end', () => parser.end());
    });
    const result: ExtractResult = inner === null ? { files: 0, bytes: 0 } : await (inner as Promise<ExtractResult>);
    options.signal?.throwIfAborted();
    return { ...result, checksum: hash.digest('base64'), found: inner !== null };
  } catch (error) {
    stream.destroy();
    gunzip.destroy();
    if (inner !== null) await (inner as Promise<ExtractResult>).catch(() => undefined);
    for (const child of await readdir(target).catch(() => [] as string[])) await rm(path.join(target, child), { recursive: true, force: true });
    options.signal?.throwIfAborted();
    if (error instanceof QuorumError) throw error;
    throw invalidArchive(path.basename(file), describeReadFailure(error), error);
  }
}
