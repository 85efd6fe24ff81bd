/**
 * The sandbox's `mongorestore --drop --journal [--oplogReplay] --dbpath`:
 * an offline restore of a mongodump folder into a stopped member's data
 * directory, in the member's own storage format (the DataStore snapshot),
 * as Juju 1.25's restore runs it with juju-db stopped.
 *
 * Order, as mongorestore 2.4 does it: per collection (sorted by database,
 * then file) drop, create with the metadata's options, insert the
 * documents, build the metadata's indexes; then `system.indexes.bson` of
 * pre-2.2 dumps; then, with `--oplogReplay`, every entry of `oplog.bson` in
 * order. `admin.system.users` is restored like any collection (the users
 * end up exactly those of the dump); `local` is never touched.
 *
 * Unlike a real mongorestore, which leaves the data half-restored when it
 * fails midway, this one is all or nothing: every file is read and checked
 * before anything changes, the restore is applied in memory, and only a
 * complete restore is written (one new snapshot). A failure leaves the
 * member's files exactly as they were, and exits non-zero with
 * mongorestore-like messages.
 */
import { readFile } from 'node:fs/promises';
import { deserialize, type Document } from 'bson';
import { DataStore } from '../storage/data-store';
import type { IndexSpec } from '../storage/collection';
import { readBsonFile, readMetadata, RestoreError, scanDump, type CollectionMetadata, type DumpCollection } from './dump-files';
import { applyOplogDocument } from './oplog-replay';

export interface MongorestoreOptions {
  /** The member's data directory on the real disk (stopped member). */
  readonly memberDir: string;
  /** The dump folder on the real disk, and as the command named it (for messages). */
  readonly dumpDir: string;
  readonly remoteDump: string;
  readonly oplogReplay: boolean;
  readonly drop: boolean;
  readonly oplogMaxBytes: number;
  /** One progress line (stdout). */
  readonly log: (line: string) => void;
}

export interface MongorestoreSummary {
  readonly collections: number;
  readonly documents: number;
  readonly indexes: number;
  readonly oplogEntries: number;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 2.4's log prefix: `Wed Jan 15 14:03:21.123`. */
function stamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Documents of a file already checked by `readBsonFile`. */
async function splitChecked(file: string): Promise<Buffer[]> {
  const buf = await readFile(file);
  const docs: Buffer[] = [];
  for (let off = 0; off < buf.length; ) {
    const size = buf.readInt32LE(off);
    docs.push(buf.subarray(off, off + size));
    off += size;
  }
  return docs;
}

function shortJson(doc: Document): string {
  return JSON.stringify(doc).replace(/"([A-Za-z_$][\w$]*)":/g, '$1: ').replace(/,/g, ', ');
}

export async function mongorestore(options: MongorestoreOptions): Promise<MongorestoreSummary> {
  const { log, remoteDump } = options;
  const shown = (c: DumpCollection, suffix = '.bson') => `${remoteDump}/${c.db}/${c.name}${suffix}`;

  // 1. Read and check everything; nothing is touched yet.
  const layout = await scanDump(options.dumpDir, remoteDump);
  if (options.oplogReplay && !layout.oplogFile) throw new RestoreError('No oplog file to replay. Make sure you run mongodump with --oplog.');
  const metadata = new Map<DumpCollection, CollectionMetadata>();
  for (const c of layout.collections) {
    await readBsonFile(c.bsonFile, shown(c));
    metadata.set(c, await readMetadata(c.metadataFile, shown(c, '.metadata.json')));
  }
  for (const l of layout.legacyIndexFiles) await readBsonFile(l.file, `${remoteDump}/${l.db}/system.indexes.bson`);
  if (options.oplogReplay && layout.oplogFile) {
    const entries = await readBsonFile(layout.oplogFile, `${remoteDump}/oplog.bson`);
    log(`${stamp()} \t${entries.length} oplog entries to replay`);
  }
  for (const db of layout.skipped) log(`${stamp()} skipping the ${db} database (never restored)`);

  // 2. Apply in memory on the member's data.
  const store = await DataStore.open(options.memberDir, { oplogMaxBytes: options.oplogMaxBytes });
  let written = false;
  try {
    // No compaction of the old data may run while the restore is applied.
    if (!store.isEmpty() || store.catalog.all().length > 0) await store.compact();
    const summary = { collections: 0, documents: 0, indexes: 0, oplogEntries: 0 };
    for (const c of layout.collections) {
      const ns = `${c.db}.${c.name}`;
      const meta = metadata.get(c)!;
      log(`${stamp()} ${shown(c)}`);
      log(`${stamp()} \tgoing into namespace [${ns}]`);
      if (options.drop) {
        log(`${stamp()} \t dropping`);
        store.catalog.drop(ns);
      }
      const coll = store.catalog.create(ns, meta.options);
      const docs = await splitChecked(c.bsonFile);
      docs.forEach((doc, i) => {
        try {
          coll.insert(doc, false);
        } catch (err) {
          throw new RestoreError(`${shown(c)}: document ${i + 1}: ${(err as Error).message}`);
        }
      });
      log(`${docs.length} objects found`);
      for (const spec of meta.indexes) {
        log(`${stamp()} \tCreating index: ${shortJson({ key: spec.key, ns, name: spec.name })}`);
        try {
          if (store.catalog.createIndex(ns, spec as IndexSpec)) summary.indexes++;
        } catch (err) {
          throw new RestoreError(`${ns}: Creating index ${String(spec.name)} failed: ${(err as Error).message}`);
        }
      }
      summary.collections++;
      summary.documents += docs.length;
    }
    for (const l of layout.legacyIndexFiles) {
      for (const raw of await splitChecked(l.file)) {
        const { ns, ...spec } = deserialize(raw);
        log(`${stamp()} \tCreating index: ${shortJson({ key: spec.key, ns, name: spec.name })}`);
        try {
          if (store.catalog.createIndex(String(ns), spec as IndexSpec)) summary.indexes++;
        } catch (err) {
          throw new RestoreError(`${String(ns)}: Creating index ${String(spec.name)} failed: ${(err as Error).message}`);
        }
      }
    }
    if (options.oplogReplay && layout.oplogFile) {
      log(`${stamp()} \t Replaying oplog`);
      for (const raw of await splitChecked(layout.oplogFile)) {
        applyOplogDocument(store, raw);
        summary.oplogEntries++;
      }
      log(`${stamp()} \t Successfully Replayed ${summary.oplogEntries} oplog entries`);
    }

    // 3. Only a complete restore reaches the disk.
    await store.compact();
    written = true;
    return summary;
  } finally {
    await store.close();
    if (!written) log(`${stamp()} restore failed: the member's data files were left as they were`);
  }
}
