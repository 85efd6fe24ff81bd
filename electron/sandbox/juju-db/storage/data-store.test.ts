import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ObjectId, Timestamp, deserialize, type Document } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEntry, type OpType, type OplogEntry } from '../oplog';
import { idKeyOfValue, toBson } from '../raw-bson';
import { SharedBlocks } from './blocks';
import { DataStore } from './data-store';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'juju-db-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const OPLOG = 512 * 1024 * 1024;
const clock = 1_700_000_000;
let inc = 0;
function entry(op: OpType, ns: string, o: Document, o2?: Document): OplogEntry {
  return makeEntry({ ts: new Timestamp({ t: clock, i: ++inc }), t: 1, op, ns, o: toBson(o), o2: o2 ? toBson(o2) : undefined, wall: new Date() });
}

/** ~2.5 MiB of small documents and ~5 MiB of 50 KB ones: several blocks per collection. */
function fill(store: DataStore): void {
  store.commit(entry('c', 'juju.$cmd', { create: 'units' }), true);
  store.commit(entry('c', 'juju.$cmd', { createIndexes: 'units', v: 2, key: { machineid: 1 }, name: 'machineid_1' }), true);
  for (let i = 0; i < 12_000; i++) store.commit(entry('i', 'juju.units', { _id: `u${i}`, machineid: String(i % 7), pad: 'x'.repeat(150) }), true);
  for (let i = 0; i < 100; i++) store.commit(entry('i', 'juju.settings', { _id: new ObjectId(), blob: Buffer.alloc(50_000, i) }), true);
  store.commit(entry('u', 'juju.units', { _id: 'u5', machineid: 'changed' }, { _id: 'u5' }), true);
  store.commit(entry('d', 'juju.units', { _id: 'u6' }), true);
}

function get(store: DataStore, ns: string, id: unknown): Document | undefined {
  const raw = store.catalog.get(ns)?.get(idKeyOfValue(id));
  return raw ? deserialize(raw) : undefined;
}

describe('DataStore snapshots and journals', () => {
  it('restores documents, indexes and the oplog from a block snapshot, documents as slices of block reads', async () => {
    const dir = tempDir();
    const a = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    fill(a);
    const last = a.lastApplied;
    await a.compact();
    await a.close();

    const shared = new SharedBlocks();
    const b = await DataStore.open(dir, { oplogMaxBytes: OPLOG, shared });
    expect(b.replayedBytes).toBe(0);
    expect(b.catalog.get('juju.units')!.docs.size).toBe(11_999);
    expect(b.catalog.get('juju.settings')!.docs.size).toBe(100);
    expect(get(b, 'juju.units', 'u5')).toEqual({ _id: 'u5', machineid: 'changed' });
    expect(get(b, 'juju.units', 'u6')).toBeUndefined();
    expect(b.oplog.length).toBe(12_104);
    expect(b.lastApplied.ts.equals(last.ts)).toBe(true);
    // The secondary index is deferred, then answers lookups.
    const units = b.catalog.get('juju.units')!;
    expect(units.indexes[0]!.built).toBe(false);
    expect(units.indexes[0]!.lookup('3')!.size).toBe(1714);
    // Documents are views of a few large reads, and the oplog's inserts point at the same views.
    const buffers = new Set([...units.docs.values()].map((d) => d.buffer));
    expect(buffers.size).toBe(b.snapshotBlocks.docBlocks.filter((x) => units.docs.has(x.ids[0]!)).length);
    expect(buffers.size).toBeGreaterThan(1);
    const insertU7 = [...b.oplog.iterate()].find((e) => e.op === 'i' && e.ns === 'juju.units' && deserialize(e.o)._id === 'u7')!;
    expect(insertU7.o).toBe(units.get(idKeyOfValue('u7')));
    expect(shared.stats.blocksRead).toBe(b.snapshotBlocks.docBlocks.length + b.snapshotBlocks.oplogBlocks.length);
    await b.close();
  });

  it('shares blocks and replayed journal entries between members of one cluster', async () => {
    const dirA = tempDir();
    const dirB = tempDir();
    const sharedWrite = new SharedBlocks();
    const a = await DataStore.open(dirA, { oplogMaxBytes: OPLOG, shared: sharedWrite });
    const b = await DataStore.open(dirB, { oplogMaxBytes: OPLOG, shared: sharedWrite });
    fill(a);
    await a.compact();
    await b.resetFrom(a);
    expect(sharedWrite.stats.blocksLinked).toBeGreaterThan(0);
    const blockFile = readdirSync(join(dirB, 'blocks'))[0]!;
    expect(statSync(join(dirB, 'blocks', blockFile)).nlink).toBe(2);
    // A write after the snapshots stays in both journals (replicated: the same entry).
    const late = entry('i', 'juju.units', { _id: 'late', pad: 'y'.repeat(5000) });
    a.commit(late, true);
    b.commit(late, false);
    await a.close();
    await b.close();

    const shared = new SharedBlocks();
    const stores: DataStore[] = [];
    const peers = (): readonly DataStore[] => stores;
    const [a2, b2] = await Promise.all([dirA, dirB].map((d) => DataStore.open(d, { oplogMaxBytes: OPLOG, shared, peers })));
    stores.push(a2!, b2!);
    const blocks = a2!.snapshotBlocks.docBlocks.length + a2!.snapshotBlocks.oplogBlocks.length;
    expect(shared.stats.blocksRead).toBe(blocks);
    expect(shared.stats.blocksShared).toBe(blocks);
    const ua = a2!.catalog.get('juju.units')!;
    const ub = b2!.catalog.get('juju.units')!;
    for (const [id, doc] of ua.docs) if (id !== idKeyOfValue('late')) expect(ub.get(id)).toBe(doc);
    await a2!.close();
    await b2!.close();

    // Opened one after the other, the second member's replayed entry is the first one's.
    const s3: DataStore[] = [];
    const a3 = await DataStore.open(dirA, { oplogMaxBytes: OPLOG, shared, peers: () => s3 });
    s3.push(a3);
    const b3 = await DataStore.open(dirB, { oplogMaxBytes: OPLOG, shared, peers: () => s3 });
    expect(b3.catalog.get('juju.units')!.get(idKeyOfValue('late'))).toBe(a3.catalog.get('juju.units')!.get(idKeyOfValue('late')));
    await a3.close();
    await b3.close();
  });

  it('compacts incrementally: unchanged runs are neither hashed nor written again, dropped blocks are deleted', async () => {
    const dir = tempDir();
    const shared = new SharedBlocks();
    const s = await DataStore.open(dir, { oplogMaxBytes: OPLOG, shared });
    fill(s);
    await s.compact();
    const first = shared.stats.blocksWritten;
    for (let i = 0; i < 50; i++) s.commit(entry('i', 'juju.units', { _id: `z${i}`, pad: 'n' }), true);
    await s.compact();
    expect(shared.stats.runsReused).toBeGreaterThan(0);
    // The units tail block and the oplog blocks change; settings blocks do not.
    expect(shared.stats.blocksWritten - first).toBeLessThan(first / 2);
    s.commit(entry('c', 'juju.$cmd', { drop: 'settings' }), true);
    await s.compact();
    const files = readdirSync(join(dir, 'blocks'));
    const referenced = new Set([...s.snapshotBlocks.docBlocks, ...s.snapshotBlocks.oplogBlocks].map((b) => `${b.ref.hash}.blk`));
    expect(files.filter((f) => !referenced.has(f))).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-'))).toHaveLength(1);
    await s.close();
  });

  it('replays journals after the snapshot and cuts a torn tail', async () => {
    const dir = tempDir();
    const s = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    s.commit(entry('i', 'juju.machines', { _id: '0', life: 0 }), true);
    await s.compact();
    s.commit(entry('i', 'juju.machines', { _id: '1', life: 0 }), true);
    s.commit(entry('u', 'juju.machines', { _id: '0', life: 2 }, { _id: '0' }), true);
    await s.close();
    const journal = readdirSync(dir).find((f) => f.startsWith('journal-'))!;
    appendFileSync(join(dir, journal), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const r = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    expect(get(r, 'juju.machines', '1')).toEqual({ _id: '1', life: 0 });
    expect(get(r, 'juju.machines', '0')).toEqual({ _id: '0', life: 2 });
    expect(r.oplog.length).toBe(3);
    await r.close();
    const size = statSync(join(dir, journal)).size;
    const again = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    expect(statSync(join(dir, journal)).size).toBe(size);
    expect(again.oplog.length).toBe(3);
    await again.close();
  });

  it('refuses a damaged block rather than loading wrong data', async () => {
    const dir = tempDir();
    const s = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    fill(s);
    await s.compact();
    await s.close();
    const victim = s.snapshotBlocks.docBlocks[0]!.ref.hash;
    const path = join(dir, 'blocks', `${victim}.blk`);
    const bytes = Buffer.alloc(statSync(path).size, 1);
    writeFileSync(path, bytes);
    await expect(DataStore.open(dir, { oplogMaxBytes: OPLOG })).rejects.toThrow(/damaged/);
  });

  it('still loads a format-1 snapshot and rewrites it as blocks', async () => {
    const dir = tempDir();
    const record = (kind: number, body: Buffer): Buffer => {
      const payload = Buffer.concat([Buffer.from([kind]), body]);
      const h = Buffer.alloc(8);
      h.writeUInt32LE(payload.length, 0);
      h.writeUInt32LE(crc32(payload), 4);
      return Buffer.concat([h, payload]);
    };
    const uuid = Buffer.alloc(16, 7);
    writeFileSync(
      join(dir, 'snapshot.bin'),
      Buffer.concat([
        record(0x48, toBson({ gen: 0, lastApplied: { ts: new Timestamp({ t: 5, i: 1 }), t: 1 } })),
        record(0x43, toBson({ ns: 'juju.services', options: {}, uuid, indexes: [] })),
        record(0x44, toBson({ _id: 'mysql', life: 0 })),
        record(0x5a, Buffer.alloc(0)),
      ]),
    );
    const s = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    expect(get(s, 'juju.services', 'mysql')).toEqual({ _id: 'mysql', life: 0 });
    await s.close();
    const header = readdirSync(join(dir, 'blocks')).filter((f) => f.endsWith('.blk'));
    expect(header.length).toBeGreaterThan(0);
    const r = await DataStore.open(dir, { oplogMaxBytes: OPLOG });
    expect(r.snapshotBlocks.docBlocks).toHaveLength(1);
    expect(get(r, 'juju.services', 'mysql')).toEqual({ _id: 'mysql', life: 0 });
    await r.close();
  });
});
