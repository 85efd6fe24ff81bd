/**
 * A member's data: catalog + oplog, persisted as a snapshot file followed by
 * append-only journals of applied oplog entries. Every change to the data is
 * an oplog entry applied here, on the primary and on secondaries alike, so
 * replication and crash recovery are the same code path.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { deserialize, type Document } from 'bson';
import { TYPED, num } from '../bson-eval';
import { MongoServerError } from '../errors';
import { NULL_OPTIME, Oplog, entryOpTime, entryRecordParts, parseEntryRecord, type OpTime, type OplogEntry } from '../oplog';
import { idKeyOf, toBson } from '../raw-bson';
import { Catalog, splitNs } from './catalog';
import type { IndexSpec } from './collection';
import { readRecords, RecordAppender, truncateFile } from './record-file';

const K_LOGGED = 0x45; // 'E': applied and in the oplog
const K_LOCAL = 0x4c; // 'L': applied, not replicated (bootstrap users)
const K_HEADER = 0x48; // 'H'
const K_COLL = 0x43; // 'C'
const K_DOC = 0x44; // 'D'
const K_OPLOG = 0x4f; // 'O'
const K_END = 0x5a; // 'Z'

const COMPACT_MIN_BYTES = 64 * 1024 * 1024;

const KIND = new Map<number, Buffer>([K_LOGGED, K_LOCAL, K_HEADER, K_COLL, K_DOC, K_OPLOG, K_END].map((k) => [k, Buffer.from([k])]));

export class DataStore {
  catalog = new Catalog();
  readonly oplog: Oplog;
  lastApplied: OpTime = NULL_OPTIME;
  private journal: RecordAppender | null = null;
  private gen = 0;
  private snapshotBytes = 0;
  private compacting: Promise<void> | null = null;

  private constructor(readonly dir: string, oplogMaxBytes: number) {
    this.oplog = new Oplog(oplogMaxBytes);
  }

  /** Load snapshot + journals from `dir` (created if missing). */
  static async open(dir: string, oplogMaxBytes: number): Promise<DataStore> {
    mkdirSync(dir, { recursive: true });
    const s = new DataStore(dir, oplogMaxBytes);
    s.loadSnapshot();
    const journals = readdirSync(dir)
      .map((f) => /^journal-(\d+)\.bin$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let lastGen = s.gen;
    for (const g of journals) {
      const path = join(dir, `journal-${g}.bin`);
      if (g < s.gen) {
        rmSync(path, { force: true });
        continue;
      }
      const r = readRecords(path, (p) => s.replayRecord(p));
      if (!r.complete) truncateFile(path, r.validLength);
      lastGen = g;
    }
    s.gen = lastGen;
    s.journal = await RecordAppender.open(join(dir, `journal-${s.gen}.bin`));
    return s;
  }

  private loadSnapshot(): void {
    const path = join(this.dir, 'snapshot.bin');
    if (!existsSync(path)) return;
    let ns = '';
    let ended = false;
    const catalog = new Catalog();
    const oplog = new Oplog(this.oplog.maxBytes);
    let gen = 0;
    let last: OpTime = NULL_OPTIME;
    readRecords(path, (p) => {
      const kind = p[0]!;
      const body = p.subarray(1);
      if (kind === K_HEADER) {
        const h = deserialize(body, TYPED);
        gen = num(h.gen);
        if (h.lastApplied) last = { ts: h.lastApplied.ts, t: num(h.lastApplied.t) };
      } else if (kind === K_COLL) {
        const c = deserialize(body, TYPED);
        ns = c.ns as string;
        const coll = catalog.create(ns, (c.options as Document) ?? {}, false, Buffer.from((c.uuid as { buffer: Uint8Array }).buffer));
        for (const spec of (c.indexes as IndexSpec[]) ?? []) coll.addIndex(spec);
      } else if (kind === K_DOC) {
        catalog.get(ns)!.insert(Buffer.from(body));
      } else if (kind === K_OPLOG) {
        oplog.push(parseEntryRecord(body));
      } else if (kind === K_END) {
        ended = true;
      }
    });
    if (!ended) throw new Error(`snapshot ${path} is incomplete`);
    this.catalog = catalog;
    this.oplog.copyFrom(oplog);
    this.gen = gen;
    this.lastApplied = last;
  }

  private replayRecord(p: Buffer): void {
    const kind = p[0]!;
    const entry = parseEntryRecord(p.subarray(1));
    this.applyEntry(entry, false);
    if (kind === K_LOGGED) {
      this.oplog.push(entry);
      this.lastApplied = entryOpTime(entry);
    }
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
          if (id !== undefined && coll.get(id)) coll.replace(id, e.o);
          else coll.insert(e.o);
        }
        break;
      }
      case 'u': {
        const coll = this.catalog.get(e.ns) ?? this.catalog.create(e.ns);
        coll.replace(idKeyOf(e.o2!)!, e.o);
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
    this.journal?.append(KIND.get(K_LOGGED)!, ...entryRecordParts(e));
    this.maybeCompact();
  }

  /** Apply a write that is not replicated (bootstrap users on an empty member). */
  commitLocal(e: OplogEntry): void {
    this.applyEntry(e, true);
    this.journal?.append(KIND.get(K_LOCAL)!, ...entryRecordParts(e));
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
    if (this.journal.bytesWritten > Math.max(COMPACT_MIN_BYTES, this.snapshotBytes * 2)) {
      this.compact().catch(() => undefined);
    }
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
    // Switch journal generation and capture the state synchronously.
    const oldJournal = this.journal;
    this.gen += 1;
    const gen = this.gen;
    this.journal = await RecordAppender.open(join(this.dir, `journal-${gen}.bin`));
    const header = toBson({ gen, lastApplied: { ts: this.lastApplied.ts, t: this.lastApplied.t } });
    const colls = this.catalog.all().map((c) => ({
      meta: toBson({ ns: c.ns, options: c.options, uuid: c.uuid, indexes: c.indexes.map((i) => i.spec) }),
      docs: [...c.docs.values()],
    }));
    const entries = [...this.oplog.iterate()];
    await oldJournal?.close();
    const tmp = join(this.dir, 'snapshot.tmp');
    const fh = await open(tmp, 'w');
    let written = 0;
    try {
      let batch: Buffer[] = [];
      const push = async (kind: number, ...body: Buffer[]): Promise<void> => {
        const kindByte = KIND.get(kind)!;
        let len = 1;
        let crc = crc32(kindByte);
        for (const b of body) {
          len += b.length;
          crc = crc32(b, crc);
        }
        const h = Buffer.allocUnsafe(8);
        h.writeUInt32LE(len, 0);
        h.writeUInt32LE(crc, 4);
        batch.push(h, kindByte, ...body);
        written += 8 + len;
        if (batch.length >= 900) {
          await fh.writev(batch);
          batch = [];
        }
      };
      await push(K_HEADER, header);
      for (const c of colls) {
        await push(K_COLL, c.meta);
        for (const d of c.docs) await push(K_DOC, d);
      }
      for (const e of entries) await push(K_OPLOG, ...entryRecordParts(e));
      await push(K_END, Buffer.alloc(0));
      if (batch.length) await fh.writev(batch);
      await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(tmp, join(this.dir, 'snapshot.bin'));
    this.snapshotBytes = written;
    for (const f of readdirSync(this.dir)) {
      const m = /^journal-(\d+)\.bin$/.exec(f);
      if (m && Number(m[1]) < gen) rmSync(join(this.dir, f), { force: true });
    }
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
