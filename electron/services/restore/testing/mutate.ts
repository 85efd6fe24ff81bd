import { readFile, writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';

/** The uncompressed tar of a `.tar.gz`, without its end-of-archive zero blocks (so members can be appended). */
export async function openTar(file: string): Promise<Buffer> {
  const tar = zlib.gunzipSync(await readFile(file));
  let end = tar.length;
  while (end >= 512 && tar.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
  return tar.subarray(0, end);
}

/** Writes `tar` + the end marker, gzipped, to `file`. */
export async function writeTarGz(file: string, tar: Buffer, options: { readonly end?: boolean } = {}): Promise<void> {
  await writeFile(file, zlib.gzipSync(options.end === false ? tar : Buffer.concat([tar, Buffer.alloc(1024)]), { level: 1 }));
}
