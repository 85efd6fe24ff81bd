import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { QuorumError } from '../../../shared/errors';
import { invalidArchive } from './archive-errors';

/**
 * Checks shared by the archive reader and safe extraction: is the file a
 * gzip at all, and would a tar member be safe to extract.
 */

/** Resolves to the file's size when it is a regular, non-empty gzip file; else archive-invalid / not-found. */
export async function assertGzip(file: string): Promise<number> {
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

