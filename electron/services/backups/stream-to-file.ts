import crypto from 'node:crypto';
import { access, chmod, link, open, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { QuorumError } from '../../../shared/errors';
import { writeFailure } from '../archive/tar-gz-file-writer';

/**
 * Writes a download to `<target>.partial` (0600), hashing it on the way, and
 * gives it its final name only when complete, fsynced and — when a checksum
 * is expected — verified. Anything else removes the partial file.
 */
export async function streamToFile(
  source: Readable,
  target: string,
  options: { readonly signal?: AbortSignal; readonly expectedChecksum?: string; readonly onProgress?: (bytes: number) => void },
): Promise<{ path: string; checksum: string; size: number }> {
  if (await access(target).then(() => true, () => false)) {
    throw new QuorumError('conflict', `${path.basename(target)} already exists in ${path.dirname(target)}. Choose another file name or delete it first.`);
  }
  const partial = `${target}.partial`;
  const hash = crypto.createHash('sha1');
  let size = 0;
  let handle;
  try {
    handle = await open(partial, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new QuorumError('busy', `${path.basename(partial)} exists: a download may be running. Wait for it, or delete the .partial file.`);
    throw writeFailure(error, target);
  }
  try {
    await pipeline(
      source,
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          size += chunk.length;
          options.onProgress?.(size);
          cb(null, chunk);
        },
      }),
      handle.createWriteStream({ flush: true }),
      ...(options.signal ? [{ signal: options.signal }] : []),
    );
    const checksum = hash.digest('base64');
    if (options.expectedChecksum !== undefined && options.expectedChecksum !== checksum) {
      throw new QuorumError('checksum-mismatch', `The downloaded archive's checksum (${checksum}) differs from the server's (${options.expectedChecksum}); it was not kept. Try again; if it persists the server copy is damaged.`);
    }
    await link(partial, target).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw new QuorumError('conflict', `${path.basename(target)} appeared during the download; the download was not kept.`);
      throw error;
    });
    await unlink(partial);
    await chmod(target, 0o600);
    return { path: target, checksum, size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    if (options.signal?.aborted) throw new QuorumError('cancelled', 'The download was cancelled; nothing was kept.');
    if (error instanceof QuorumError) throw error;
    throw writeFailure(error, target);
  }
}
