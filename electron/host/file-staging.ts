import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Browser mode cannot hand main a dropped file's path (Electron can, through
 * the preload), so the page streams the file to the host, which stages it
 * under `QUORUM_HOME/staging/` and answers with the local path the backup
 * and restore channels take. Files are written 0600 under a temporary name
 * and renamed when complete, so a cut-off upload never looks whole; staged
 * files older than a day are removed at start-up.
 */
export const STAGING_PATH = '/files';
/** Header the page must send: a cross-site form cannot set it, and setting it forces a CORS preflight. */
export const STAGING_HEADER = 'x-quorum-upload';
const MAX_AGE_MS = 24 * 3600_000;

export interface StagedFile {
  readonly localPath: string;
  readonly bytes: number;
}

/** A name safe to keep as the tail of the staged file name (the path part is dropped). */
export function safeFileName(name: string | null): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return cleaned || 'upload.bin';
}

export async function stageUpload(req: IncomingMessage, stagingDir: string, name: string | null): Promise<StagedFile> {
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  const final = path.join(stagingDir, `${randomUUID()}-${safeFileName(name)}`);
  const partial = `${final}.partial`;
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(req, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    if (req.readableAborted || !req.complete) throw new Error('upload interrupted');
    await rename(partial, final);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { localPath: final, bytes };
}

/** Removes staged files (and leftovers of cut-off uploads) older than a day. */
export async function cleanStaging(stagingDir: string, now = Date.now()): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(stagingDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const file = path.join(stagingDir, name);
    try {
      if (now - (await stat(file)).mtimeMs > MAX_AGE_MS) {
        await rm(file, { force: true, recursive: true });
        removed++;
      }
    } catch {
      // vanished meanwhile
    }
  }
  return removed;
}
