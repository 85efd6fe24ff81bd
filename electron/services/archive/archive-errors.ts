import { QuorumError } from '../../../shared/errors';

/**
 * Turns what went wrong while reading a `.tar.gz` into `archive-invalid`
 * with the reason an operator can act on (not gzip, corrupt, truncated, not
 * tar, not a Juju backup).
 */
export function invalidArchive(file: string, reason: string, cause?: unknown): QuorumError {
  return new QuorumError('archive-invalid', `${file} is not a usable Juju backup: ${reason}.`, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Maps a zlib or tar failure to a reason sentence. */
export function describeReadFailure(error: unknown): string {
  const e = error as { code?: string; message?: string; errno?: number } | null;
  const code = e?.code ?? '';
  const message = e?.message ?? String(error);
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) return 'the file is truncated (the gzip stream ends early)';
  if (/incorrect data check/i.test(message)) return 'the gzip data is corrupt (its CRC-32 does not match)';
  if (/incorrect length check/i.test(message)) return 'the gzip data is corrupt (its recorded length does not match)';
  if (/checksum failure/i.test(message)) return 'a tar header is damaged (its checksum does not match)';
  if (code === 'Z_DATA_ERROR' || /incorrect header check|invalid (block type|distance|stored block|code)/i.test(message)) {
    return 'the gzip data is corrupt';
  }
  if (/truncated/i.test(message)) return 'the tar data is truncated';
  if (code.startsWith('TAR_') || /tar|archive format|invalid entry/i.test(message)) return 'the contents are not a valid tar archive';
  return 'the file could not be read';
}
