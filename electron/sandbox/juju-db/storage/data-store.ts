/**
 * A member's data: catalog + oplog, persisted as a snapshot (a manifest of
 * content-addressed blocks, see `snapshot.ts`) followed by append-only
 * journals of applied oplog entries. Every change to the data is an oplog
 * entry applied here, on the primary and on secondaries alike, so
 * replication and crash recovery are the same code path.
 *
 * Loading never blocks the event loop for long: blocks and journals are read
 * with large asynchronous reads, documents stay slices of what was read, and
 * secondary indexes are built on first use. Journals are compacted into a
 * new snapshot once they pass COMPACT_JOURNAL_BYTES, and compaction only
 * hashes and writes the blocks that changed, so it can run often.
 */
import { mkdirSync } from 'node:fs';
import { readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, type Document } from 'bson';
import { TYPED } from '../bson-eval';
import { MongoServerError } from '../errors';
import { NULL_OPTIME, Oplog, entryOpTime, parseEntryRecord, type OpTime, type OplogEntry } from '../oplog';
import { idKeyOf } from '../raw-bson';
import { blockDir, blockPath, ensureBlockDir, SharedBlocks, type DocBlock, type OplogBlock } from './blocks';
import { Catalog, splitNs } from './catalog';
import type { IndexSpec } from './collection';
import { decodeEntry, encodeEntry } from './entry-codec';
import { readRecordsAsync, RecordAppender } from './record-file';
import { loadSnapshot, writeSnapshot } from './snapshot';

const K_LOGGED_V1 = 0x45; // 'E': applied and in the oplog (BSON meta, older journals)
// 'L' (0x4c): applied, not replicated, in older journals: parsed like 'E' but not logged.
const K_LOGGED = 0x65; // 'e': applied and in the oplog (binary entry)
const K_LOCAL = 0x6c; // 'l': applied, not replicated (bootstrap users)

/** Journal size that triggers a compaction (and bounds what a restart replays). */
export const COMPACT_JOURNAL_BYTES = 64 * 1024 * 1024;

const KIND_LOGGED = Buffer.from([K_LOGGED]);
const KIND_LOCAL = Buffer.from([K_LOCAL]);

export interface DataStoreOptions {
  readonly oplogMaxBytes: number;
  /** Blocks shared with the other members of the cluster. */
  readonly shared?: SharedBlocks;
  /** The other members' stores: replayed journal entries they also hold are shared, not duplicated. */
  readonly peers?: () => readonly DataStore[];
}

export class DataStore {
  catalog = new Catalog();
  readonly oplog: Oplog;
  lastApplied: OpTime = NULL_OPTIME;
  readonly shared: SharedBlocks;
  private readonly peers: () => readonly DataStore[];
  private journal: RecordAppender | null = null;
  private gen = 0;
  private compacting: Promise<void> | null = null;
  /** The blocks of the current snapshot, held so other members can share them. */
  private held: { docBlocks: DocBlock[]; oplogBlocks: OplogBlock[] } = { docBlocks: [], oplogBlocks: [] };
  /** Block files present in this member's directory. */
  private readonly present = new Set<string>();
  private readonly names = new Map<string, string>();
  /** Bytes of journal replayed by the last open (for tests and benchmarks). */
  replayedBytes = 0;

  private constructor(
    readonly dir: string,
    options: DataStoreOptions,
  ) {
    this.oplog = new Oplog(options.oplogMaxBytes);
    this.shared = options.shared ?? new SharedBlocks();
    this.peers = options.peers ?? (() => []);
  }

  /** Load snapshot + journals from `dir` (created if missing). */
  static async open(dir: string, options: DataStoreOptions | number): Promise<DataStore> {
    mkdirSync(dir, { recursive: true });
    const s = new DataStore(dir, typeof options === 'number' ? { oplogMaxBytes: options } : options);
    await ensureBlockDir(dir);
    for (const f of await readdir(blockDir(dir))) {
      const m = /^([0-9a-f]{64})\.blk$/.exec(f);
      if (m) s.present.add(m[1]!);
      else if (f.endsWith('.tmp')) await rm(join(blockDir(dir), f), { force: true });
    }
    const snap = await loadSnapshot(dir, s.shared, s.oplog.maxBytes);
    if (snap) {
      s.catalog = snap.catalog;
      for (const e of snap.entries) s.oplog.push(e);
      s.gen = snap.gen;
      s.lastApplied = snap.lastApplied;
      s.held = { docBlocks: snap.docBlocks, oplogBlocks: snap.oplogBlocks };
    }
    const journals = (await readdir(dir))
      .map((f) => /^journal-(\d+)\.bin$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let lastGen = s.gen;
    for (const g of journals) {
      const path = join(dir, `journal-${g}.bin`);
      if (g < s.gen) {
        await rm(path, { force: true });
        continue;
      }
      const r = await readRecordsAsync(path, (p) => s.replayRecord(p));
      s.replayedBytes += r.validLength;
      if (!r.complete) await truncate(path, r.validLength);
      lastGen = g;
    }
    s.gen = lastGen;
    s.journal = await RecordAppender.open(join(dir, `journal-${s.gen}.bin`));
    // A long journal (or an old-format snapshot) is folded into a snapshot now, in the background.
    if (s.replayedBytes > COMPACT_JOURNAL_BYTES / 4 || (snap && snap.docBlocks.length === 0 && s.catalog.totalBytes() > 0)) {
      s.compact().catch(() => undefined);
    }
    return s;
  }

  private replayRecord(p: Buffer): void {
    const kind = p[0]!;
    const logged = kind === K_LOGGED || kind === K_LOGGED_V1;
    let entry = kind === K_LOGGED || kind === K_LOCAL ? decodeEntry(p, 1, this.names)[0] : parseEntryRecord(p.subarray(1));
    if (logged) entry = this.sharedEntry(entry);
    this.applyEntry(entry, false);
    if (logged) {
      this.oplog.push(entry);
      this.lastApplied = entryOpTime(entry);
    }
  }

  /** The same entry as held by another member (same optime, same bytes), so documents are held once. */
  private sharedEntry(e: OplogEntry): OplogEntry {
    if (e.t < 0) return e;
    for (const peer of this.peers()) {
      if (peer === this) continue;
      const i = peer.oplog.indexOf(e);
      if (i < 0) continue;
      const pe = peer.oplog.at(i)!;
      if (pe === e) return e;
      if (pe.op === e.op && pe.ns === e.ns && pe.o.equals(e.o) && (pe.o2 === undefined ? e.o2 === undefined : e.o2 !== undefined && pe.o2.equals(e.o2))) return pe;
    }
    return e;
  }

  /** True when the member holds no data and no history (first start). */
  isEmpty(): boolean {
    return this.oplog.length === 0 && this.catalog.all().every((c) => c.docs.size === 0);
  }

  /**
   * Apply an entry. `strict` (the primary) throws on conflicts before anything
   * is logged; secondaries apply idempotently.
   */
  applyEntry(e: OplogEntry, strict: boolean): void {
    const [db] = splitNs(e.ns);
    switch (e.op) {
      case 'i': {
        const coll = this.catalog.get(e.ns) ?? this.catalog.create(e.ns);
        if (strict) coll.insert(e.o);
        else {
          const id = idKeyOf(e.o);
          if (id !== undefined && coll.get(id)) coll.replace(id, e.o, false);
          else coll.insert(e.o, false);
        }
        break;
      }
      case 'u': {
        const coll = this.catalog.get(e.ns) ?? this.catalog.create(e.ns);
        coll.replace(idKeyOf(e.o2!)!, e.o, strict);
        break;
      }
      case 'd':
        this.catalog.get(e.ns)?.delete(idKeyOf(e.o)!);
        break;
      case 'c':
        this.applyCommand(db, deserialize(e.o, TYPED), strict);
        break;
      case 'n':
        break;
    }
  }

  private applyCommand(db: string, cmd: Document, strict: boolean): void {
    const name = Object.keys(cmd)[0];
    try {
      if (name === 'create') {
        const { create, ...options } = cmd;
        this.catalog.create(`${db}.${create as string}`, options, strict, cmd.uuid ? undefined : undefined);
      } else if (name === 'drop') {
        this.catalog.drop(`${db}.${cmd.drop as string}`);
      } else if (name === 'dropDatabase') {
        this.catalog.dropDatabase(db);
      } else if (name === 'createIndexes') {
        const { createIndexes, ...spec } = cmd;
        this.catalog.createIndex(`${db}.${createIndexes as string}`, spec as IndexSpec);
      } else if (name === 'dropIndexes') {
        const coll = this.catalog.get(`${db}.${cmd.dropIndexes as string}`);
        coll?.dropIndex(cmd.index as string);
      } else if (name === 'renameCollection') {
        const from = this.catalog.get(cmd.renameCollection as string);
        if (from) {
          if (cmd.dropTarget) this.catalog.drop(cmd.to as string);
          const to = this.catalog.create(cmd.to as string, from.options);
          for (const spec of from.indexes) to.addIndex(spec.spec);
          for (const raw of from.docs.values()) to.insert(raw);
          this.catalog.drop(cmd.renameCollection as string);
        }
      }
    } catch (err) {
      if (strict) throw err;
    }
  }

  /** Apply and record an entry (primary writes and replicated entries). */
  commit(e: OplogEntry, strict: boolean): void {
    this.applyEntry(e, strict);
    this.oplog.push(e);
    this.lastApplied = entryOpTime(e);
    this.journal?.append(KIND_LOGGED, ...encodeEntry(e));
    this.maybeCompact();
  }

  /** Apply a write that is not replicated (bootstrap users on an empty member). */
  commitLocal(e: OplogEntry): void {
    this.applyEntry(e, true);
    this.journal?.append(KIND_LOCAL, ...encodeEntry(e));
  }

  /** Replace everything with a copy of another member's data (initial sync / resync). */
  async resetFrom(source: DataStore): Promise<void> {
    this.catalog = source.catalog.clone();
    this.oplog.copyFrom(source.oplog);
    this.lastApplied = source.lastApplied;
    await this.compact();
  }

  private maybeCompact(): void {
    if (this.compacting || !this.journal) return;
    if (this.journal.bytesWritten > COMPACT_JOURNAL_BYTES) this.compact().catch(() => undefined);
  }

  /** Write a fresh snapshot and start a new journal generation. */
  async compact(): Promise<void> {
    while (this.compacting) await this.compacting;
    this.compacting = this.doCompact().finally(() => {
      this.compacting = null;
    });
    await this.compacting;
  }

  private async doCompact(): Promise<void> {
    // Switch journal generation, then capture the state synchronously.
    const oldJournal = this.journal;
    this.gen += 1;
    const gen = this.gen;
    this.journal = await RecordAppender.open(join(this.dir, `journal-${gen}.bin`));
    const colls = this.catalog.all().map((c) => {
      const ids: string[] = new Array(c.docs.size);
      const docs: Buffer[] = new Array(c.docs.size);
      let i = 0;
      for (const [id, d] of c.docs) {
        ids[i] = id;
        docs[i++] = d;
      }
      return { ns: c.ns, options: c.options, uuid: c.uuid, indexes: c.indexes.map((x) => x.spec), ids, docs };
    });
    const capture = { gen, lastApplied: this.lastApplied, colls, entries: [...this.oplog.iterate()] };
    await oldJournal?.close();
    const written = await writeSnapshot(this.dir, this.shared, capture, this.present);
    this.held = { docBlocks: written.docBlocks, oplogBlocks: written.oplogBlocks };
    for (const f of await readdir(this.dir)) {
      const m = /^journal-(\d+)\.bin$/.exec(f);
      if (m && Number(m[1]) < gen) await rm(join(this.dir, f), { force: true });
    }
    for (const hash of [...this.present]) {
      if (written.referenced.has(hash)) continue;
      const path = blockPath(this.dir, hash);
      this.present.delete(hash);
      this.shared.forget(path, hash);
      await rm(path, { force: true });
    }
  }

  /** Blocks of the current snapshot (held so other members can share them). */
  get snapshotBlocks(): { readonly docBlocks: readonly DocBlock[]; readonly oplogBlocks: readonly OplogBlock[] } {
    return this.held;
  }

  async flush(): Promise<void> {
    await this.journal?.flush();
  }

  async close(): Promise<void> {
    while (this.compacting) await this.compacting;
    await this.journal?.close();
    this.journal = null;
  }
}

export function requireCollection(store: DataStore, ns: string): ReturnType<Catalog['get']> {
  const c = store.catalog.get(ns);
  if (!c) throw new MongoServerError('NamespaceNotFound', `ns not found: ${ns}`);
  return c;
}
