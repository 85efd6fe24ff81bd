import { Header } from 'tar';

/**
 * Raw tar bytes with no safety checks at all, as an attacker would write
 * them (absolute paths, `..`, links out, devices, FIFOs, pax headers of any
 * size): the project's own writer refuses to produce these, so hostile
 * archives for the tests are built here.
 */

export type RawType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO' | 'ExtendedHeader';

export interface RawEntry {
  readonly path: string;
  readonly type?: RawType;
  readonly data?: Buffer | string;
  readonly linkpath?: string;
}

const TYPE_FLAG: Record<RawType, string> = {
  File: '0',
  Link: '1',
  SymbolicLink: '2',
  CharacterDevice: '3',
  BlockDevice: '4',
  Directory: '5',
  FIFO: '6',
  ExtendedHeader: 'x',
};

export function rawTar(entries: readonly RawEntry[], options: { readonly end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const type = e.type ?? 'File';
    const withData = type === 'File' || type === 'ExtendedHeader';
    const block = Buffer.alloc(512);
    // The long-name handling of Header is not wanted here: names up to 100 bytes only.
    new Header({ path: e.path, type, size: withData ? data.length : 0, mode: 0o644, mtime: new Date(0), ...(e.linkpath ? { linkpath: e.linkpath } : {}) }).encode(block, 0);
    if (block[156] !== TYPE_FLAG[type].charCodeAt(0)) throw new Error(`tar Header wrote the wrong type for ${type}`);
    parts.push(block);
    if (withData) parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A pax extended header record (`<len> key=value\n`). */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}
