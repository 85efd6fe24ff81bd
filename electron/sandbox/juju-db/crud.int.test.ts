import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Binary, Decimal128, Double, GridFSBucket, Int32, Long, MongoClient, MongoServerError, ObjectId, Timestamp } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, MACHINE0, connect, makeCluster, startReplicaSet, type TestCluster } from './test-support';

// Tests insert hand-written documents with string ids; the driver's schema typing is not the subject here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

let t: TestCluster;
let client: MongoClient;

beforeAll(async () => {
  t = await makeCluster({ profile: '6.0' });
  await startReplicaSet(t, ['0']);
  client = await connect(t.cluster, '0');
});

afterAll(async () => {
  await client?.close();
  await t?.dispose();
});

describe('juju-db with the official driver (TLS + SCRAM)', () => {
  it('authenticates with SCRAM-SHA-256 and SCRAM-SHA-1, and refuses a wrong password', async () => {
    const sha1 = await connect(t.cluster, '0', MACHINE0, { authMechanism: 'SCRAM-SHA-1' });
    expect((await sha1.db('admin').command({ connectionStatus: 1 })).authInfo.authenticatedUsers).toEqual([{ user: 'machine-0', db: 'admin' }]);
    await sha1.close();
    const sha256 = await connect(t.cluster, '0', ADMIN, { authMechanism: 'SCRAM-SHA-256' });
    expect((await sha256.db('admin').command({ ping: 1 })).ok).toBe(1);
    await sha256.close();
    const err = await connect(t.cluster, '0', { user: 'admin', password: 'wrong' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain('Authentication failed.');
  });

  it('rejects unauthenticated commands with Unauthorized and unknown commands with CommandNotFound', async () => {
    const { ca } = await import('./test-support').then((m) => m.testPki());
    const anon = new MongoClient(`mongodb://127.0.0.1:${t.cluster.member('0')!.port}/?directConnection=true`, { tls: true, ca: ca.certPem });
    await anon.connect();
    const e1 = await anon.db('juju').collection('x').findOne({}).catch((e: MongoServerError) => e);
    expect((e1 as MongoServerError).code).toBe(13);
    expect((await anon.db('admin').command({ ping: 1 })).ok).toBe(1);
    await anon.close();
    const e2 = await client.db('admin').command({ frobnicate: 1 }).catch((e: MongoServerError) => e);
    expect((e2 as MongoServerError).code).toBe(59);
    expect((e2 as MongoServerError).message).toBe("no such command: 'frobnicate'");
  });

  it('reports a modern server in hello and buildInfo', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.setName).toBe('juju');
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
    expect(hello.topologyVersion).toBeUndefined();
    const info = await client.db('admin').command({ buildInfo: 1 });
    expect(info.versionArray[0]).toBeGreaterThanOrEqual(4);
  });

  it('round-trips BSON types exactly', async () => {
    const coll = client.db('types').collection('t');
    const doc = {
      _id: new ObjectId(),
      i32: new Int32(7),
      i64: Long.fromString('9007199254740993'),
      small64: Long.fromNumber(5),
      dbl: new Double(2),
      dec: Decimal128.fromString('1.10'),
      date: new Date(1700000000123),
      ts: new Timestamp({ t: 1700000000, i: 7 }),
      bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
      uuid: new Binary(randomBytes(16), 4),
      nested: { arr: [1, 'two', { three: 3 }] },
    };
    await coll.insertOne(doc);
    const back = await coll.findOne({ _id: doc._id }, { promoteValues: false, promoteLongs: false });
    expect(back!.i32._bsontype).toBe('Int32');
    expect(back!.i64.toString()).toBe('9007199254740993');
    expect(back!.small64._bsontype).toBe('Long');
    expect(back!.dbl._bsontype).toBe('Double');
    expect(back!.dec.toString()).toBe('1.10');
    expect(back!.ts.equals(doc.ts)).toBe(true);
    expect(Buffer.from(back!.bin.buffer).equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
    // An update keeps untouched fields' types and $inc keeps a NumberLong a NumberLong.
    await coll.updateOne({ _id: doc._id }, { $inc: { small64: 1 }, $set: { added: Long.fromNumber(3) } });
    const upd = await coll.findOne({ _id: doc._id }, { promoteValues: false, promoteLongs: false });
    expect(upd!.small64._bsontype).toBe('Long');
    expect(upd!.small64.toNumber()).toBe(6);
    expect(upd!.added._bsontype).toBe('Long');
    expect(upd!.i32._bsontype).toBe('Int32');
    expect(upd!.dbl._bsontype).toBe('Double');
    // Filters compare Longs numerically.
    expect(await coll.countDocuments({ i64: { $gt: Long.fromString('9007199254740992') } })).toBe(1);
    expect(await coll.countDocuments({ ts: { $gte: new Timestamp({ t: 1700000000, i: 7 }) } })).toBe(1);
    expect(await coll.countDocuments({ ts: { $gt: new Timestamp({ t: 1700000000, i: 7 }) } })).toBe(0);
  });

  it('does CRUD with sort, skip, limit and projection', async () => {
    const coll = client.db('juju').collection<{ _id: number; name: string; n: number; tags?: string[] }>('units');
    await coll.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, name: `unit-${i}`, n: i % 7, tags: [`t${i % 3}`] })));
    const page = await coll.find({ n: { $gte: 3 } }, { sort: { n: -1, _id: 1 }, skip: 2, limit: 5, projection: { name: 1, n: 1, _id: 0 } }).toArray();
    expect(page).toEqual([
      { name: 'unit-20', n: 6 },
      { name: 'unit-27', n: 6 },
      { name: 'unit-34', n: 6 },
      { name: 'unit-41', n: 6 },
      { name: 'unit-48', n: 6 },
    ]);
    expect(await coll.countDocuments({ tags: 't1' })).toBe(17);
    expect((await coll.distinct('n')).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const del = await coll.deleteMany({ n: 0 });
    expect(del.deletedCount).toBe(8);
    expect(await coll.estimatedDocumentCount()).toBe(42);
    const dup = await coll.insertOne({ _id: 1, name: 'again', n: 1 }).catch((e: MongoServerError) => e);
    expect((dup as MongoServerError).code).toBe(11000);
    expect((dup as MongoServerError).message).toMatch(/^E11000 duplicate key error collection: juju.units index: _id_ dup key/);
  });

  it('iterates cursors in small batches with getMore and kills them', async () => {
    const coll = client.db('juju').collection('many');
    await coll.insertMany(Array.from({ length: 1000 }, (_, i) => ({ i })));
    const seen: number[] = [];
    for await (const d of coll.find({}, { batchSize: 7 })) seen.push(d.i as number);
    expect(seen).toHaveLength(1000);
    expect(seen[999]).toBe(999);
    const before = (await client.db('admin').command({ serverStatus: 1 })).metrics.cursor.open.total;
    const cursor = coll.find({}, { batchSize: 5 });
    await cursor.next();
    const during = (await client.db('admin').command({ serverStatus: 1 })).metrics.cursor.open.total;
    expect(Number(during)).toBe(Number(before) + 1);
    await cursor.close(); // killCursors
    const after = (await client.db('admin').command({ serverStatus: 1 })).metrics.cursor.open.total;
    expect(Number(after)).toBe(Number(before));
    const gone = await client.db('juju').command({ getMore: Long.fromNumber(12345), collection: 'many' }).catch((e: MongoServerError) => e);
    expect((gone as MongoServerError).code).toBe(43);
  });

  it('applies update operators, upserts, multi updates, arrayFilters and findAndModify', async () => {
    const coll = client.db('juju').collection<Loose>('settings');
    await coll.insertMany([
      { _id: 'a', v: 1, list: [1, 2, 3], grades: [{ g: 80 }, { g: 95 }] },
      { _id: 'b', v: 2, list: [] },
    ]);
    await coll.updateOne({ _id: 'a' }, { $set: { 'x.y': 1 }, $unset: { v: '' }, $push: { list: 4 } as Loose, $addToSet: { tags: 'k' } });
    expect(await coll.findOne({ _id: 'a' }, { projection: { grades: 0 } })).toEqual({ _id: 'a', list: [1, 2, 3, 4], x: { y: 1 }, tags: ['k'] });
    await coll.updateOne({ _id: 'a' }, { $set: { 'grades.$[high].top': true } }, { arrayFilters: [{ 'high.g': { $gte: 90 } }] });
    expect((await coll.findOne({ _id: 'a' }))!.grades).toEqual([{ g: 80 }, { g: 95, top: true }]);
    const multi = await coll.updateMany({}, { $inc: { hits: 1 } });
    expect(multi.modifiedCount).toBe(2);
    const up = await coll.updateOne({ _id: 'c' }, { $set: { v: 3 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(up.upsertedId).toBe('c');
    expect(await coll.findOne({ _id: 'c' })).toEqual({ _id: 'c', v: 3, created: true });
    const again = await coll.updateOne({ _id: 'c' }, { $set: { v: 3 }, $setOnInsert: { created: false } }, { upsert: true });
    expect(again.matchedCount).toBe(1);
    expect(again.modifiedCount).toBe(0);
    const replaced = await coll.replaceOne({ _id: 'b' }, { fresh: 1 });
    expect(replaced.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 'b' })).toEqual({ _id: 'b', fresh: 1 });
    const fam = await coll.findOneAndUpdate({ _id: 'c' }, { $inc: { v: 10 } }, { returnDocument: 'after' });
    expect(fam).toMatchObject({ _id: 'c', v: 13 });
    const before = await coll.findOneAndUpdate({ _id: 'c' }, { $inc: { v: 1 } }, { returnDocument: 'before' });
    expect(before).toMatchObject({ v: 13 });
    const removed = await coll.findOneAndDelete({ _id: 'c' });
    expect(removed).toMatchObject({ _id: 'c', v: 14 });
    expect(await coll.findOne({ _id: 'c' })).toBeNull();
    const bad = await coll.updateOne({ _id: 'a' }, { $set: { _id: 'zzz' } }).catch((e: MongoServerError) => e);
    expect((bad as MongoServerError).code).toBe(66);
  });

  it('aggregates with common stages', async () => {
    const db = client.db('agg');
    await db.collection<Loose>('machines').insertMany([
      { _id: '0', jobs: ['JobManageEnviron', 'JobHostUnits'], series: 'trusty', mem: Long.fromNumber(4096) },
      { _id: '1', jobs: ['JobHostUnits'], series: 'trusty', mem: Long.fromNumber(2048) },
      { _id: '2', jobs: ['JobHostUnits'], series: 'xenial', mem: Long.fromNumber(1024) },
    ]);
    await db.collection<Loose>('units').insertMany([
      { _id: 'mysql/0', machineid: '1' },
      { _id: 'wordpress/0', machineid: '2' },
      { _id: 'wordpress/1', machineid: '2' },
    ]);
    const bySeries = await db
      .collection('machines')
      .aggregate([{ $match: { mem: { $gte: 1024 } } }, { $group: { _id: '$series', n: { $sum: 1 }, mem: { $sum: '$mem' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(bySeries).toEqual([
      { _id: 'trusty', n: 2, mem: 6144 },
      { _id: 'xenial', n: 1, mem: 1024 },
    ]);
    const jobs = await db.collection('machines').aggregate([{ $unwind: '$jobs' }, { $count: 'n' }]).toArray();
    expect(jobs).toEqual([{ n: 4 }]);
    const joined = await db
      .collection('machines')
      .aggregate([
        { $lookup: { from: 'units', localField: '_id', foreignField: 'machineid', as: 'units' } },
        { $addFields: { nunits: { $size: '$units' } } },
        { $project: { _id: 1, nunits: 1 } },
        { $sort: { nunits: -1 } },
        { $skip: 0 },
        { $limit: 2 },
      ])
      .toArray();
    expect(joined).toEqual([
      { _id: '2', nunits: 2 },
      { _id: '1', nunits: 1 },
    ]);
  });

  it('manages collections and indexes, honouring unique indexes', async () => {
    const db = client.db('idx');
    await db.createCollection('presence');
    const dupCreate = await db.createCollection('presence').catch((e: MongoServerError) => e);
    expect((dupCreate as MongoServerError).code).toBe(48);
    const coll = db.collection('presence');
    await coll.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    await coll.createIndex({ a: 1, b: -1 });
    const names = (await coll.listIndexes().toArray()).map((i) => i.name).sort();
    expect(names).toEqual(['_id_', 'a_1_b_-1', 'key_unique']);
    await coll.insertOne({ key: 'x' });
    const dup = await coll.insertOne({ key: 'x' }).catch((e: MongoServerError) => e);
    expect((dup as MongoServerError).code).toBe(11000);
    expect((dup as MongoServerError).message).toContain('index: key_unique dup key: { key: "x" }');
    await coll.insertMany([{ key: 'y' }, { key: 'z' }]);
    const upd = await coll.updateOne({ key: 'y' }, { $set: { key: 'z' } }).catch((e: MongoServerError) => e);
    expect((upd as MongoServerError).code).toBe(11000);
    // Building a unique index over duplicates fails.
    await coll.insertMany([{ key: 'p', other: 1 }, { key: 'q', other: 1 }]);
    const build = await coll.createIndex({ other: 1 }, { unique: true }).catch((e: MongoServerError) => e);
    expect((build as MongoServerError).code).toBe(11000);
    const cols = await db.listCollections().toArray();
    expect(cols.map((c) => c.name)).toContain('presence');
    const dbs = await client.db('admin').admin().listDatabases();
    const idx = dbs.databases.find((d) => d.name === 'idx');
    expect(idx?.sizeOnDisk).toBeGreaterThan(0);
    await coll.dropIndex('key_unique');
    await coll.insertOne({ key: 'x' });
    expect(await db.collection('presence').drop()).toBe(true);
    await db.dropDatabase();
    expect((await client.db('admin').admin().listDatabases()).databases.map((d) => d.name)).not.toContain('idx');
  });

  it('stores and reads back GridFS files byte for byte', async () => {
    const bucket = new GridFSBucket(client.db('backups'), { bucketName: 'archives' });
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const started = Date.now();
    const upload = bucket.openUploadStream('juju-backup-20240101-000000.tar.gz', { metadata: { sha: 'x' } });
    await pipeline(Readable.from([data.subarray(0, 3_000_000), data.subarray(3_000_000)]), upload);
    const chunks: Buffer[] = [];
    const download = bucket.openDownloadStream(upload.id);
    for await (const c of download) chunks.push(c as Buffer);
    const elapsed = Date.now() - started;
    const back = Buffer.concat(chunks);
    expect(back.length).toBe(data.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    const files = await bucket.find({ filename: 'juju-backup-20240101-000000.tar.gz' }).toArray();
    expect(files).toHaveLength(1);
    expect(files[0]!.length).toBe(data.length);
    console.log(`GridFS round trip of ${(data.length / 1048576).toFixed(1)} MiB: ${elapsed} ms (${((2 * data.length) / 1048576 / (elapsed / 1000)).toFixed(0)} MiB/s up+down)`);
    await bucket.delete(upload.id);
    expect(await client.db('backups').collection('archives.chunks').countDocuments({})).toBe(0);
  });
});
