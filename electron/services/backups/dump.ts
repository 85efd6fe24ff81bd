import { Binary, EJSON, type Document, type Timestamp } from 'bson';
import type { MongoClient } from 'mongodb';
import type { Writable } from 'node:stream';
import { QuorumError } from '../../../shared/errors';
import { dumpBsonEntry, dumpMetadataEntry, OPLOG_ENTRY } from '../archive/juju-archive';

/**
 * A mongodump `--oplog` equivalent over the official driver, written straight
 * into the backup archive: every database but `local` (never dumped) and
 * `backups` (Juju strips it), each collection's documents as the raw BSON
 * the server sent (no re-serialising), `<coll>.metadata.json` from
 * `listCollections`/`listIndexes`, then `oplog.bson` with every oplog entry
 * after the start (but those of `backups`), so writes made during the dump
 * replay to a consistent point in time.
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
/** `system.*` collections mongodump still dumps (users, roles and the auth schema version in admin; stored JS anywhere). */
const KEPT_SYSTEM = new Set(['admin.system.users', 'admin.system.roles', 'admin.system.version']);

/** True when mongodump would dump this collection. */
export function shouldDumpCollection(db: string, name: string): boolean {
  if (!name.startsWith('system.')) return true;
  return KEPT_SYSTEM.has(`${db}.${name}`) || name === 'system.js';
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
 * memory). Falls back to the default when the server has no collStats.
 */
async function batchSizeFor(client: MongoClient, db: string, name: string, fallback: number): Promise<number> {
  try {
    const stats = await client.db(db).command({ collStats: name });
    const avg = Number(stats.avgObjSize ?? 0);
    if (!Number.isFinite(avg) || avg <= 0) return fallback;
    return Math.max(8, Math.min(2000, Math.floor(TARGET_BATCH_BYTES / avg)));
  } catch {
    return fallback;
  }
}

/** The last entry's `ts` in `local.oplog.rs`: the dump's start point. */
export async function latestOplogTimestamp(client: MongoClient): Promise<Timestamp> {
  const last = await client.db('local').collection('oplog.rs').find({}, { sort: { $natural: -1 }, limit: 1, projection: { ts: 1 } }).next();
  if (!last || last.ts === undefined) {
    throw new QuorumError('mongo-unavailable', 'juju-db has no replication log (local.oplog.rs), so a consistent dump is impossible. Check that juju-db runs as a replica set member.');
  }
  return last.ts as Timestamp;
}

function uuidHex(info: Document | undefined): string | null {
  const uuid = info?.uuid as unknown;
  if (uuid instanceof Binary) return Buffer.from(uuid.buffer).toString('hex');
  return null;
}

/**
 * `<coll>.metadata.json` as mongodump writes it: options, the indexes (with
 * `v`, `key`, `name`, `ns` first) and the collection UUID when the server
 * has one. Values are relaxed Extended JSON (plain numbers).
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

interface CollectionPlan {
  readonly db: string;
  readonly name: string;
  readonly options: Document;
  readonly uuid: string | null;
}

async function planCollections(client: MongoClient): Promise<CollectionPlan[]> {
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const names = databases.map((d) => d.name).filter((n) => !SKIPPED_DATABASES.has(n)).sort();
  const plan: CollectionPlan[] = [];
  for (const db of names) {
    const colls = await client.db(db).listCollections({}, { nameOnly: false }).toArray();
    for (const c of colls.sort((a, b) => a.name.localeCompare(b.name))) {
      if ((c as Document).type === 'view') continue;
      if (!shouldDumpCollection(db, c.name)) continue;
      plan.push({ db, name: c.name, options: ((c as Document).options ?? {}) as Document, uuid: uuidHex((c as Document).info as Document | undefined) });
    }
  }
  return plan;
}

/**
 * Dumps everything into `sink`. The oplog's last `ts` is read first; the
 * collections follow one by one (each opens its archive entry at once, so
 * compressing one overlaps dumping the next); `oplog.bson` comes last.
 */
export async function dumpToArchive(client: MongoClient, sink: DumpSink, options: DumpOptions = {}): Promise<DumpSummary> {
  const signal = options.signal;
  const batchSize = options.batchSize ?? 256;
  const startTs = await latestOplogTimestamp(client);
  const plan = await planCollections(client);
  const summary: Array<{ db: string; name: string; documents: number; bytes: number }> = [];
  let total = 0;
  for (let k = 0; k < plan.length; k++) {
    signal?.throwIfAborted();
    const c = plan[k]!;
    const ns = `${c.db}.${c.name}`;
    options.onProgress?.({ collection: k + 1, collections: plan.length, namespace: ns, bytes: total });
    const indexes = await client.db(c.db).collection(c.name).listIndexes().toArray();
    await sink.addBuffer(dumpMetadataEntry(c.db, c.name), Buffer.from(collectionMetadataJson(c.db, c.name, c.options, indexes, c.uuid)));
    const entry = await sink.openEntry(dumpBsonEntry(c.db, c.name));
    let documents = 0;
    let bytes = 0;
    const cursor = client.db(c.db).collection(c.name).find({}, { raw: true, batchSize: options.batchSize ?? (await batchSizeFor(client, c.db, c.name, batchSize)) });
    try {
      for await (const doc of cursor) {
        const raw = doc as unknown as Buffer;
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
    summary.push({ db: c.db, name: c.name, documents, bytes });
  }
  // The oplog window: everything written since the dump began.
  const oplog = client.db('local').collection('oplog.rs');
  const first = await oplog.find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } }).next();
  if (first && (first.ts as Timestamp).greaterThan(startTs)) {
    throw new QuorumError('mongo-unavailable', 'juju-db\'s replication log rolled over during the dump, so the backup would not be consistent. Try again when the environment is less busy.');
  }
  const entry = await sink.openEntry(OPLOG_ENTRY);
  let oplogEntries = 0;
  let oplogBytes = 0;
  // Not the `backups` database's entries: Juju leaves that database out of the dump, and the
  // backup's own GridFS upload runs while it dumps, so its chunks would otherwise fill the oplog.
  const cursor = oplog.find({ ts: { $gt: startTs }, ns: { $not: SKIPPED_OPLOG_NS } }, { raw: true, batchSize, sort: { $natural: 1 } });
  try {
    for await (const doc of cursor) {
      const raw = doc as unknown as Buffer;
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
