/**
 * Reading a mongodump directory as mongorestore does: one folder per
 * database, `<coll>.bson` (documents back to back) with an optional
 * `<coll>.metadata.json`, and `oplog.bson` at the top. Both metadata
 * flavours are read: 2.4's hand-written `{options : …, indexes:[…]}` (not
 * JSON: unquoted keys, read leniently as 2.4's `fromjson` does) and the
 * JSON (Extended JSON values) of 2.6 and the Go tools.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, EJSON, type Document } from 'bson';
import { TYPED } from '../bson-eval';
import { validateCollectionName } from '../storage/catalog';

/** What mongorestore prints and exits non-zero with; nothing has been changed when it is thrown during reading. */
export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** BSON documents of a dump file are at most 16 MiB each (BSONObjMaxUserSize); 2.4 refuses larger sizes. */
const MAX_DOC = 16 * 1024 * 1024;

/** One collection in the dump. */
export interface DumpCollection {
  readonly db: string;
  readonly name: string;
  readonly bsonFile: string;
  readonly metadataFile: string | null;
}

export interface DumpLayout {
  readonly collections: readonly DumpCollection[];
  /** `system.indexes.bson` of databases without metadata files (pre-2.2 dumps). */
  readonly legacyIndexFiles: ReadonlyArray<{ readonly db: string; readonly file: string }>;
  readonly oplogFile: string | null;
  /** Databases present but not restored (local). */
  readonly skipped: readonly string[];
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** Lists the dump; throws RestoreError for a folder that is not a dump. */
export async function scanDump(dumpDir: string, remoteDump: string): Promise<DumpLayout> {
  if (!(await isDir(dumpDir))) throw new RestoreError(`don't know what to do with file [${remoteDump}]`);
  const collections: DumpCollection[] = [];
  const legacyIndexFiles: { db: string; file: string }[] = [];
  const skipped: string[] = [];
  let oplogFile: string | null = null;
  for (const entry of (await readdir(dumpDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dumpDir, entry.name);
    if (!entry.isDirectory()) {
      if (entry.name === 'oplog.bson') oplogFile = full;
      continue;
    }
    const db = entry.name;
    if (db === 'local') {
      skipped.push(db);
      continue;
    }
    const files = (await readdir(full)).sort();
    const hasMetadata = files.some((f) => f.endsWith('.metadata.json'));
    for (const f of files) {
      if (!f.endsWith('.bson')) continue;
      const name = f.slice(0, -'.bson'.length);
      if (name === 'system.indexes') {
        if (!hasMetadata) legacyIndexFiles.push({ db, file: join(full, f) });
        continue;
      }
      if (name === 'system.profile') continue;
      try {
        validateCollectionName(db, name);
      } catch (err) {
        throw new RestoreError(`${remoteDump}/${db}/${f}: ${(err as Error).message}`);
      }
      const meta = `${name}.metadata.json`;
      collections.push({ db, name, bsonFile: join(full, f), metadataFile: files.includes(meta) ? join(full, meta) : null });
    }
  }
  return { collections, legacyIndexFiles, oplogFile, skipped };
}

/**
 * Splits a .bson file into documents (slices of one read), checking every
 * length prefix and terminator and that each document parses: a truncated
 * or corrupt file fails here, with 2.4's wording, before anything is written.
 */
export async function readBsonFile(file: string, shown: string): Promise<Buffer[]> {
  const buf = await readFile(file);
  const docs: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 5) throw new RestoreError(`${shown}: file truncated: ${buf.length - off} bytes left at offset ${off}, too short for a BSON object`);
    const size = buf.readInt32LE(off);
    if (size < 5 || size > MAX_DOC) throw new RestoreError(`${shown}: bad object size: ${size} at offset ${off} (corrupt BSON file)`);
    if (off + size > buf.length) throw new RestoreError(`${shown}: file truncated: object of ${size} bytes at offset ${off} runs past the end (${buf.length} bytes)`);
    const doc = buf.subarray(off, off + size);
    if (doc[size - 1] !== 0) throw new RestoreError(`${shown}: INVALID OBJECT at offset ${off}: no terminating zero (corrupt BSON file)`);
    try {
      deserialize(doc, { ...TYPED, validation: { utf8: false } });
    } catch (err) {
      throw new RestoreError(`${shown}: INVALID OBJECT at offset ${off}: ${(err as Error).message}`);
    }
    docs.push(doc);
    off += size;
  }
  return docs;
}

export interface CollectionMetadata {
  readonly options: Document;
  readonly indexes: readonly Document[];
}

/**
 * Quotes bare object keys outside strings (`{options : …, indexes:[…]}` →
 * `{"options" : …, "indexes":[…]}`), which is all that separates 2.4's
 * metadata from JSON; quoted keys and string contents are left alone.
 */
export function quoteBareKeys(text: string): string {
  let out = '';
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      expectKey = false;
      continue;
    }
    if (ch === '{' || ch === ',') expectKey = true;
    else if (expectKey && /[A-Za-z_$]/.test(ch)) {
      const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))!;
      const after = text.slice(i + m[0].length).trimStart();
      if (after.startsWith(':')) {
        out += `"${m[0]}"`;
        i += m[0].length;
        expectKey = false;
        continue;
      }
      expectKey = false;
    } else if (!/\s/.test(ch)) expectKey = false;
    out += ch;
    i++;
  }
  return out;
}

/** Reads `<coll>.metadata.json` in either flavour; `create` and `ns` (2.4's) are dropped from what is applied. */
export async function readMetadata(file: string | null, shown: string): Promise<CollectionMetadata> {
  if (!file) return { options: {}, indexes: [] };
  const text = (await readFile(file, 'utf8')).trim();
  let parsed: Document;
  try {
    parsed = EJSON.parse(quoteBareKeys(text), { relaxed: true }) as Document;
  } catch (err) {
    throw new RestoreError(`${shown}: error parsing metadata: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RestoreError(`${shown}: metadata is not an object`);
  const { create: _create, ...options } = (parsed.options ?? {}) as Document;
  const indexes = (parsed.indexes ?? []) as Document[];
  if (!Array.isArray(indexes) || indexes.some((x) => typeof x !== 'object' || x === null || typeof x.key !== 'object' || typeof x.name !== 'string')) {
    throw new RestoreError(`${shown}: metadata indexes are not index specifications`);
  }
  return { options, indexes: indexes.map(({ ns: _ns, ...spec }) => spec) };
}
