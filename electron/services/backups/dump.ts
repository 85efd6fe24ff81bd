import { EJSON, Timestamp, type Document } from 'bson';
import type { Writable } from 'node:stream';
import { QuorumError } from '../../../shared/errors';
import { dumpBsonEntry, dumpMetadataEntry, OPLOG_ENTRY } from '../archive/juju-archive';
import type { CollectionInfo, JujuDbClient, JujuDbServerInfo, Namespace } from '../mongo/juju-db-client';
import { bsonBytes, bsonNumber, objectIdHex } from './bson-values';

/**
 * A mongodump `--oplog` equivalent through `JujuDbClient`, written straight
 * into the backup archive: every database but `local` (never dumped) and
 * `backups` (Juju strips it), each collection's documents as the raw BSON
 * the server sent (no re-serialising), `<coll>.metadata.json`, then
 * `oplog.bson` with every oplog entry after the start (but those of
 * `backups`), so writes made during the dump replay to a consistent point
 * in time.
 *
 * Which collections are dumped and how metadata.json is written follow the
 * mongodump that ships with the server (`dumpFlavourFor`): on MongoDB 2.4
 * (Juju 1.25's juju-mongodb) that is 2.4's own C++ mongodump, whose dump
 * `mongorestore` 2.4 on a state server reads back; on 3.0 and later, the Go
 * mongodump's.
 */

/** Where the dump goes: the archive writer satisfies this. */
export interface DumpSink {
  /** An entry of unknown size; end it when complete. */
  openEntry(name: string): Promise<Writable>;
  addBuffer(name: string, data: Uint8Array): Promise<void>;
}

export interface DumpProgress {
  /** 1-based index of the collection being dumped, of `collections`. */
  readonly collection: number;
  readonly collections: number;
  readonly namespace: string;
  /** BSON bytes dumped so far, all collections together. */
  readonly bytes: number;
}

export interface DumpOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DumpProgress) => void;
  /** Documents per getMore (default 256: smaller replies keep memory flat with large documents). */
  readonly batchSize?: number;
}

export interface DumpSummary {
  readonly databases: readonly string[];
  readonly collections: ReadonlyArray<{ readonly db: string; readonly name: string; readonly documents: number; readonly bytes: number }>;
  readonly oplogEntries: number;
  readonly oplogBytes: number;
  readonly bytes: number;
}

/** Databases mongodump leaves out, plus the one Juju strips from the dump. */
const SKIPPED_DATABASES = new Set(['local', 'backups']);
/** Oplog entries left out of `oplog.bson`: those of the `backups` database. */
const SKIPPED_OPLOG_NS = /^backups\./;
const OPLOG: Namespace = { db: 'local', collection: 'oplog.rs' };

/**
 * Which mongodump a dump imitates:
 *
 * - `mongodump-2.4`: the C++ mongodump of MongoDB 2.4 (src/mongo/tools/dump.cpp,
 *   r2.4), for servers without a wire version above 2: 2.4, and 2.6, which
 *   Juju never shipped (2.6's own mongodump also writes system.indexes.bson
 *   and quotes the two metadata.json keys; mongorestore reads both forms);
 * - `mongodump-go`: the Go mongodump of MongoDB 3.0 and later (wire 3+).
 */
export type DumpFlavour = 'mongodump-2.4' | 'mongodump-go';

/** The one place the dump branches on the server: by `maxWireVersion` (0 on 2.4, 2 on 2.6, 3 on 3.0, …). */
export function dumpFlavourFor(server: Pick<JujuDbServerInfo, 'maxWireVersion'>): DumpFlavour {
  return server.maxWireVersion < 3 ? 'mongodump-2.4' : 'mongodump-go';
}

/** `system.*` collections the Go mongodump still dumps (users, roles and the auth schema version in admin; stored JS anywhere). */
const GO_KEPT_SYSTEM = new Set(['admin.system.users', 'admin.system.roles', 'admin.system.version']);

/**
 * True when that flavour of mongodump dumps this collection.
 *
 * 2.4's dump.cpp lists `<db>.system.namespaces` and skips only names with
 * `.$` (index namespaces; the client does not list them) and
 * `system.indexes` (the indexes go to metadata.json instead): every other
 * collection is dumped, `system.users` of every database (2.4 keeps users
 * per database) and `system.js`/`system.profile` included.
 * `system.namespaces` never lists itself on 2.4; it is skipped here too
 * should a server list it, as restoring it would be meaningless.
 */
export function shouldDumpCollection(flavour: DumpFlavour, db: string, name: string): boolean {
  if (flavour === 'mongodump-2.4') {
    return !name.includes('$') && name !== 'system.indexes' && name !== 'system.namespaces';
  }
  if (!name.startsWith('system.')) return true;
  return GO_KEPT_SYSTEM.has(`${db}.${name}`) || name === 'system.js';
}

async function write(stream: Writable, chunk: Buffer): Promise<void> {
  if (!stream.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        stream.off('error', onError);
        stream.off('close', onClose);
        resolve();
      };
      const onError = (e: Error): void => {
        stream.off('drain', onDrain);
        stream.off('close', onClose);
        reject(e);
      };
      const onClose = (): void => {
        stream.off('drain', onDrain);
        stream.off('error', onError);
        reject(new QuorumError('cancelled', 'The archive stopped accepting data.'));
      };
      stream.once('drain', onDrain);
      stream.once('error', onError);
      stream.once('close', onClose);
    });
  }
}

function end(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

const TARGET_BATCH_BYTES = 2 * 1024 * 1024;

/**
 * Documents per batch so one reply holds about 2 MiB: small documents come
 * in large batches (few round trips), large ones in small batches (flat
 * memory). Falls back to the default when collStats does not answer.
 */
async function batchSizeFor(client: JujuDbClient, db: string, name: string, fallback: number): Promise<number> {
  try {
    const stats = await client.command(db, { collStats: name });
    const avg = bsonNumber(stats.avgObjSize) ?? 0;
    if (!Number.isFinite(avg) || avg <= 0) return fallback;
    return Math.max(8, Math.min(2000, Math.floor(TARGET_BATCH_BYTES / avg)));
  } catch {
    return fallback;
  }
}

/** `ts` of an oplog entry as seconds and increment, whichever `bson` build decoded it. */
function timestampParts(value: unknown): { t: number; i: number } | null {
  if (value === null || typeof value !== 'object' || (value as { _bsontype?: unknown })._bsontype !== 'Timestamp') return null;
  const ts = value as { high: number; low: number };
  return { t: ts.high >>> 0, i: ts.low >>> 0 };
}

/** The last entry's `ts` in `local.oplog.rs`: the dump's start point. */
export async function latestOplogTimestamp(client: JujuDbClient): Promise<Timestamp> {
  const last = await client.findOne(OPLOG, {}, { sort: { $natural: -1 }, projection: { ts: 1 } });
  const parts = timestampParts(last?.ts);
  if (parts === null) {
    throw new QuorumError('mongo-unavailable', 'juju-db has no replication log (local.oplog.rs), so a consistent dump is impossible. Check that juju-db runs as a replica set member.');
  }
  return new Timestamp(parts);
}

/**
 * `<coll>.metadata.json` as the Go mongodump writes it: options, the indexes
 * (with `v`, `key`, `name`, `ns` first) and the collection UUID when the
 * server has one. Values are relaxed Extended JSON (plain numbers).
 */
export function collectionMetadataJson(db: string, name: string, options: Document, indexes: readonly Document[], uuid: string | null): string {
  const ns = `${db}.${name}`;
  const ordered = indexes.map((ix) => {
    const { v, key, name: ixName, ns: ixNs, ...rest } = ix;
    return { v: v ?? 2, key, name: ixName, ns: ixNs ?? ns, ...rest };
  });
  const doc: Document = { options, indexes: ordered };
  if (uuid !== null) doc.uuid = uuid;
  return EJSON.stringify(doc, { relaxed: true });
}

/** mongo::escape (2.4): quotes, backslash and control characters; `/` and non-ASCII as they are. */
function escape24(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default: {
        const code = ch.codePointAt(0)!;
        out += code <= 0x1f ? `\\u00${code.toString(16).padStart(2, '0')}` : ch;
      }
    }
  }
  return out;
}

/** A double as C++ streams print it with `precision(16)` (printf `%.16g`). */
export function formatDouble16(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential(15).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (t: string): string => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (exp < -4 || exp >= 16) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(15 - exp));
}

/**
 * A value as 2.4's `BSONElement::jsonString(Strict)` writes it: `{ "k" : v, … }`,
 * `[ a, b ]`, numbers with 16 significant digits, `{ "$oid" : "…" }`,
 * `{ "$date" : ms }`, `{ "$binary" : "…", "$type" : "00" }`,
 * `{ "t" : ms , "i" : n }` for a Timestamp.
 */
export function jsonString24(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return '{ "$undefined" : true }';
  if (typeof value === 'string') return `"${escape24(value)}"`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return formatDouble16(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return `{ "$date" : ${value.getTime()} }`;
  if (value instanceof RegExp) return `{ "$regex" : "${escape24(value.source)}", "$options" : "${value.flags}" }`;
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[ ${value.map((v) => jsonString24(v)).join(', ')} ]`;
  if (typeof value === 'object') {
    const type = (value as { _bsontype?: unknown })._bsontype;
    switch (type) {
      case 'Long':
        return (value as { toString(): string }).toString();
      case 'Int32':
      case 'Double':
        return formatDouble16(bsonNumber(value)!);
      case 'ObjectId':
        return `{ "$oid" : "${objectIdHex(value)}" }`;
      case 'Binary': {
        const sub = (value as { sub_type?: number }).sub_type ?? 0;
        return `{ "$binary" : "${bsonBytes(value)!.toString('base64')}", "$type" : "${sub.toString(16).padStart(2, '0')}" }`;
      }
      case 'Timestamp': {
        const ts = value as { t?: number; i?: number; high?: number; low?: number };
        const t = ts.t ?? (ts.high ?? 0) >>> 0;
        const i = ts.i ?? (ts.low ?? 0) >>> 0;
        return `{ "t" : ${t * 1000} , "i" : ${i} }`;
      }
      case 'BSONRegExp': {
        const re = value as { pattern: string; options: string };
        return `{ "$regex" : "${escape24(re.pattern)}", "$options" : "${re.options}" }`;
      }
      case 'MinKey':
        return '{ "$minKey" : 1 }';
      case 'MaxKey':
        return '{ "$maxKey" : 1 }';
      case 'Code':
        return String((value as { code: unknown }).code);
      case 'BSONSymbol':
        return `"${escape24(String((value as { value: unknown }).value))}"`;
      case undefined:
        break;
      default:
        // Types 2.4 does not have (Decimal128): relaxed Extended JSON rather than nothing.
        return EJSON.stringify(value as Document, { relaxed: true });
    }
    const entries = Object.entries(value as Document);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `"${escape24(k)}" : ${jsonString24(v)}`).join(', ')} }`;
  }
  return 'null';
}

/**
 * `<coll>.metadata.json` exactly as 2.4's mongodump writes it
 * (`writeMetadataFile`): `{options : <json>, indexes:[<json>, <json>]}`
 * with those two keys unquoted, `options` only when system.namespaces has
 * any for the collection, `indexes` only when it has any, each index
 * document as system.indexes holds it (2.4's `v`, `key`, `ns`, `name` order),
 * no trailing newline; `{}` when neither.
 */
export function collectionMetadataJson24(options: Document | null, indexes: readonly Document[]): string {
  const hasOptions = options !== null && Object.keys(options).length > 0;
  const hasIndexes = indexes.length > 0;
  let out = hasOptions ? `{options : ${jsonString24(options)}` : '{';
  if (hasOptions && hasIndexes) out += ', ';
  if (hasIndexes) out += `indexes:[${indexes.map((i) => jsonString24(i)).join(', ')}]`;
  return `${out}}`;
}

/** metadata.json for a collection, in the flavour's format. */
export function metadataJsonFor(flavour: DumpFlavour, db: string, info: CollectionInfo, indexes: readonly Document[]): string {
  if (flavour === 'mongodump-2.4') return collectionMetadataJson24(info.options, indexes);
  return collectionMetadataJson(db, info.name, info.options, indexes, info.uuid ?? null);
}

interface CollectionPlan {
  readonly db: string;
  readonly info: CollectionInfo;
}

async function planCollections(client: JujuDbClient, flavour: DumpFlavour): Promise<CollectionPlan[]> {
  const databases = await client.listDatabases();
  const names = databases.map((d) => d.name).filter((n) => !SKIPPED_DATABASES.has(n)).sort();
  const plan: CollectionPlan[] = [];
  for (const db of names) {
    const colls = await client.listCollections(db);
    for (const info of [...colls].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!shouldDumpCollection(flavour, db, info.name)) continue;
      plan.push({ db, info });
    }
  }
  return plan;
}

/**
 * Dumps everything into `sink`. The oplog's last `ts` is read first; the
 * collections follow one by one (each opens its archive entry at once, so
 * compressing one overlaps dumping the next); `oplog.bson` comes last.
 */
export async function dumpToArchive(client: JujuDbClient, sink: DumpSink, options: DumpOptions = {}): Promise<DumpSummary> {
  const signal = options.signal;
  const batchSize = options.batchSize ?? 256;
  const flavour = dumpFlavourFor(client.server);
  const startTs = await latestOplogTimestamp(client);
  const plan = await planCollections(client, flavour);
  const summary: Array<{ db: string; name: string; documents: number; bytes: number }> = [];
  let total = 0;
  for (let k = 0; k < plan.length; k++) {
    signal?.throwIfAborted();
    const { db, info } = plan[k]!;
    const ns: Namespace = { db, collection: info.name };
    options.onProgress?.({ collection: k + 1, collections: plan.length, namespace: `${db}.${info.name}`, bytes: total });
    const indexes = await client.listIndexes(ns, { ...(signal ? { signal } : {}) });
    await sink.addBuffer(dumpMetadataEntry(db, info.name), Buffer.from(metadataJsonFor(flavour, db, info, indexes)));
    const entry = await sink.openEntry(dumpBsonEntry(db, info.name));
    let documents = 0;
    let bytes = 0;
    const cursor = client.findRaw(ns, {}, {
      batchSize: options.batchSize ?? (await batchSizeFor(client, db, info.name, batchSize)),
      // mongodump 2.4 reads user collections with $snapshot: on MMAPv1 a document that moves while it is read is otherwise missed or read twice.
      snapshot: flavour === 'mongodump-2.4' && !info.name.startsWith('system.'),
      ...(signal ? { signal } : {}),
    });
    try {
      for await (const raw of cursor) {
        documents++;
        bytes += raw.length;
        total += raw.length;
        await write(entry, raw);
        if (signal?.aborted) break;
      }
    } catch (error) {
      entry.destroy();
      throw error;
    } finally {
      await cursor.close().catch(() => undefined);
    }
    signal?.throwIfAborted();
    await end(entry);
    summary.push({ db, name: info.name, documents, bytes });
  }
  // The oplog window: everything written since the dump began.
  const first = timestampParts((await client.findOne(OPLOG, {}, { sort: { $natural: 1 }, projection: { ts: 1 } }))?.ts);
  if (first && (first.t > startTs.t || (first.t === startTs.t && first.i > startTs.i))) {
    throw new QuorumError('mongo-unavailable', 'juju-db\'s replication log rolled over during the dump, so the backup would not be consistent. Try again when the environment is less busy.');
  }
  const entry = await sink.openEntry(OPLOG_ENTRY);
  let oplogEntries = 0;
  let oplogBytes = 0;
  // Not the `backups` database's entries: Juju leaves that database out of the dump, and a
  // backup's GridFS upload may run meanwhile, so its chunks would otherwise fill the oplog.
  const cursor = client.findRaw(OPLOG, { ts: { $gt: startTs }, ns: { $not: SKIPPED_OPLOG_NS } }, { batchSize, sort: { $natural: 1 }, ...(signal ? { signal } : {}) });
  try {
    for await (const raw of cursor) {
      oplogEntries++;
      oplogBytes += raw.length;
      await write(entry, raw);
    }
  } catch (error) {
    entry.destroy();
    throw error;
  } finally {
    await cursor.close().catch(() => undefined);
  }
  await end(entry);
  signal?.throwIfAborted();
  return {
    databases: [...new Set(plan.map((c) => c.db))],
    collections: summary,
    oplogEntries,
    oplogBytes,
    bytes: total,
  };
}
