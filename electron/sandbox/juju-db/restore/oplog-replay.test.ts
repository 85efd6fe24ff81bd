import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize, Timestamp, type Document } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { DataStore } from '../storage/data-store';
import { quoteBareKeys, readMetadata, RestoreError } from './dump-files';
import { applyOplogDocument } from './oplog-replay';

/** Oplog shapes a real 2.4 state server writes (modifier updates, index builds as system.indexes inserts) and 2.4's metadata. */

let dir: string | undefined;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const entry = (i: number, op: string, ns: string, o: Document, extra: Document = {}): Buffer =>
  Buffer.from(serialize({ ts: new Timestamp({ t: 1_700_000_000, i }), h: 0, v: 2, op, ns, o, ...extra }));

async function store(): Promise<DataStore> {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-replay-'));
  return DataStore.open(dir, { oplogMaxBytes: 1 << 20 });
}

describe('oplog replay', () => {
  it('applies inserts, $set/$inc updates, upserts, deletes, index builds and commands in order', async () => {
    const s = await store();
    const ns = 'juju.machines';
    for (const raw of [
      entry(1, 'i', ns, { _id: '0', life: 0, n: 1 }),
      entry(2, 'u', ns, { $set: { life: 1 }, $inc: { n: 2 } }, { o2: { _id: '0' } }),
      entry(3, 'u', ns, { $set: { x: true } }, { o2: { _id: 'ghost' } }),
      entry(4, 'u', ns, { $set: { life: 2 } }, { o2: { _id: 'up' }, b: true }),
      entry(5, 'i', 'juju.system.indexes', { v: 1, key: { life: 1 }, ns, name: 'life_1' }),
      entry(6, 'i', ns, { _id: '1', life: 0 }),
      entry(7, 'd', ns, { _id: '1' }),
      entry(8, 'c', 'juju.$cmd', { create: 'txns.log', capped: true, size: 1000 }),
      entry(9, 'c', 'juju.$cmd', { drop: 'txns.log' }),
      entry(10, 'n', '', { msg: 'noop' }),
      entry(11, 'i', 'local.startup_log', { _id: 'x' }),
    ]) {
      applyOplogDocument(s, raw);
    }
    const c = s.catalog.get(ns)!;
    const docs = [...c.docs.values()].map((d) => deserialize(d)).sort((a, b) => String(a._id).localeCompare(String(b._id)));
    expect(docs).toEqual([
      { _id: '0', life: 1, n: 3 },
      { _id: 'up', life: 2 },
    ]);
    expect(c.indexes.map((i) => i.spec.name)).toEqual(['life_1']);
    expect(s.catalog.get('juju.txns.log')).toBeUndefined();
    expect(s.catalog.get('local.startup_log')).toBeUndefined();
    await s.close();
  });

  it('fails with the entry named on what it cannot apply', async () => {
    const s = await store();
    expect(() => applyOplogDocument(s, entry(1, 'c', 'juju.$cmd', { shutdown: 1 }))).toThrow(RestoreError);
    expect(() => applyOplogDocument(s, entry(2, 'u', 'juju.m', { $v: 2, diff: {} }, { o2: { _id: 1 } }))).toThrow(/Timestamp\(1700000000, 2\).*delta/);
    await s.close();
  });
});

describe('metadata.json', () => {
  it('reads 2.4 (unquoted keys) and JSON flavours alike', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-meta-'));
    const v24 = path.join(dir, 'a.metadata.json');
    await fs.writeFile(
      v24,
      '{options : { "create" : "txns.log", "capped" : true, "size" : 10000000 }, indexes:[{ "v" : 1, "key" : { "_id" : 1 }, "ns" : "juju.txns.log", "name" : "_id_" }, { "v" : 1, "key" : { "a" : 1, "b" : -1 }, "unique" : true, "ns" : "juju.txns.log", "name" : "a_1_b_-1" }]}',
    );
    const modern = path.join(dir, 'b.metadata.json');
    await fs.writeFile(modern, JSON.stringify({ options: { capped: true, size: 10000000 }, indexes: [{ v: 2, key: { a: 1, b: -1 }, unique: true, name: 'a_1_b_-1' }], uuid: 'x' }));
    for (const f of [v24, modern]) {
      const m = await readMetadata(f, f);
      expect(m.options).toEqual({ capped: true, size: 10000000 });
      expect(m.indexes.at(-1)).toMatchObject({ key: { a: 1, b: -1 }, unique: true, name: 'a_1_b_-1' });
      expect(m.indexes.every((i) => !('ns' in i))).toBe(true);
    }
    expect(quoteBareKeys('{indexes:[{ "name" : "options : x" }]}')).toBe('{"indexes":[{ "name" : "options : x" }]}');
    await fs.writeFile(v24, '{options : {');
    await expect(readMetadata(v24, 'juju/a.metadata.json')).rejects.toThrow(/juju\/a.metadata.json: error parsing metadata/);
  });
});
