/**
 * Writing POSIX tar (ustar, with a pax extended header when a name or size
 * does not fit). Quorum builds Juju's archive entry by entry from streams, so
 * it needs headers it can emit on demand rather than a packer that reads a
 * directory; the `tar` package reads everything Quorum writes.
 */

export const TAR_BLOCK = 512;

export type TarEntryType = 'file' | 'directory';

export interface TarEntryHeader {
  /** Member name, relative, `/`-separated; directories may end in `/`. */
  readonly name: string;
  readonly type: TarEntryType;
  readonly size: number;
  readonly mode: number;
  readonly mtime: Date;
  readonly uid?: number;
  readonly gid?: number;
  readonly uname?: string;
  readonly gname?: string;
}

const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

function writeString(block: Buffer, offset: number, length: number, value: string): boolean {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) return false;
  bytes.copy(block, offset);
  return true;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  // length - 1 digits then NUL, as GNU and Go write them.
  const text = Math.floor(value).toString(8).padStart(length - 1, '0');
  block.write(text, offset, length - 1, 'ascii');
  block[offset + length - 1] = 0;
}

/** Splits a long name into ustar's prefix/name fields, or null when it cannot. */
function splitUstarName(name: string): { prefix: string; base: string } | null {
  const bytes = Buffer.byteLength(name);
  if (bytes <= 100) return { prefix: '', base: name };
  if (bytes > 256) return null;
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100 && base.length > 0) return { prefix, base };
  }
  return null;
}

function encodeBlock(h: TarEntryHeader, typeflag: string, name: { prefix: string; base: string }, size: number): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  writeString(block, 0, 100, name.base);
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, h.uid ?? 0);
  writeOctal(block, 116, 8, h.gid ?? 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.max(0, Math.floor(h.mtime.getTime() / 1000)));
  block.fill(0x20, 148, 156); // checksum field counts as spaces
  block.write(typeflag, 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'binary');
  writeString(block, 265, 32, (h.uname ?? 'root').slice(0, 31));
  writeString(block, 297, 32, (h.gname ?? 'root').slice(0, 31));
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, name.prefix);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'binary');
  return block;
}

function paxRecord(key: string, value: string): string {
  // "<len> key=value\n" where len counts itself.
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/**
 * The header bytes for one entry: a single ustar block, preceded by a pax
 * extended header when the name is too long for ustar or the size exceeds
 * 8 GiB (an `all-machines.log` can).
 */
export function encodeTarHeader(header: TarEntryHeader): Buffer {
  let name = header.name;
  if (header.type === 'directory' && !name.endsWith('/')) name += '/';
  if (name.length === 0 || name.startsWith('/') || name.split('/').includes('..')) {
    throw new RangeError(`unsafe tar member name: ${JSON.stringify(name)}`);
  }
  const size = header.type === 'directory' ? 0 : header.size;
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad tar member size: ${size}`);
  const typeflag = header.type === 'directory' ? '5' : '0';
  const split = splitUstarName(name);
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', name));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const main = encodeBlock(header, typeflag, split ?? { prefix: '', base: truncateUtf8(name, 100) }, Math.min(size, MAX_OCTAL_SIZE));
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  const paxHeader = encodeBlock(
    { ...header, mode: 0o644 },
    'x',
    { prefix: '', base: truncateUtf8(`PaxHeaders.0/${name.split('/').filter(Boolean).pop() ?? 'entry'}`, 100) },
    pax.length,
  );
  return Buffer.concat([paxHeader, pax, Buffer.alloc(tarPadding(pax.length)), main]);
}

function truncateUtf8(value: string, bytes: number): string {
  let out = value;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

/** Zero bytes that pad an entry's data to the next 512-byte block. */
export function tarPadding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

/** The end-of-archive marker: two zero blocks (what Go's archive/tar writes). */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}
