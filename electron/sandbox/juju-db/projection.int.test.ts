import { Double, Int32, Long, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, makeCluster, startReplicaSet, type TestCluster } from './test-support';

/**
 * `find` projections through the official driver: the documents' own
 * values come back for included fields (a regression: an inclusion
 * projection once returned the projection's `1`s), exclusions drop only what
 * they name, and values keep their BSON types.
 */

// Hand-written documents with string ids; the driver's schema typing is not the subject here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

let t: TestCluster;
let client: MongoClient;

const MACHINE = {
  _id: 'uuid:3',
  machineid: '3',
  life: new Int32(0),
  jobs: [new Int32(1)],
  novote: true,
  hasvote: false,
  passwordhash: 'secret-hash',
  seq: Long.fromString('9007199254740993'),
  addresses: [
    { value: '10.23.0.13', scope: 'local-cloud' },
    { value: '54.1.2.3', scope: 'public' },
  ],
  tools: { version: '1.25.6-trusty-amd64', url: 'https://example/tools.tgz', size: new Int32(0) },
};

beforeAll(async () => {
  t = await makeCluster({ profile: '6.0' });
  await startReplicaSet(t, ['0']);
  client = await connect(t.cluster, '0');
  const coll = client.db('juju').collection<Loose>('machines');
  await coll.insertMany([
    MACHINE,
    { _id: 'uuid:4', machineid: '4', life: new Int32(1), jobs: [new Int32(1), new Int32(2)], passwordhash: 'x', tools: { version: '1.25.5' } },
  ]);
});

afterAll(async () => {
  await client?.close();
  await t?.dispose();
});

function machines() {
  return client.db('juju').collection<Loose>('machines');
}

describe('juju-db find projections', () => {
  it('returns the documents\' values for included fields, with _id by default', async () => {
    const docs = await machines().find({}, { projection: { life: 1, jobs: 1 }, sort: { _id: 1 } }).toArray();
    expect(docs).toEqual([
      { _id: 'uuid:3', life: 0, jobs: [1] },
      { _id: 'uuid:4', life: 1, jobs: [1, 2] },
    ]);
  });

  it('keeps BSON types of included values (Int32, Long beyond 2^53)', async () => {
    const doc = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { life: 1, seq: 1 }, promoteValues: false });
    expect(doc!.life).toBeInstanceOf(Int32);
    expect(doc!.seq).toBeInstanceOf(Long);
    expect((doc!.seq as Long).toString()).toBe('9007199254740993');
  });

  it('takes 1 in any numeric BSON type a client sends (Int32, Long, Double)', async () => {
    for (const one of [new Int32(1), Long.fromNumber(1), new Double(1)]) {
      const reply = await client.db('juju').command({ find: 'machines', filter: { _id: 'uuid:4' }, projection: { life: one, machineid: one } });
      expect(reply.cursor.firstBatch).toEqual([{ _id: 'uuid:4', life: 1, machineid: '4' }]);
    }
  });

  it('includes with true as with 1', async () => {
    const doc = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { machineid: true, novote: true } });
    expect(doc).toEqual({ _id: 'uuid:3', machineid: '3', novote: true });
  });

  it('leaves out _id with _id: 0 in an inclusion', async () => {
    const doc = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { _id: 0, machineid: 1, hasvote: 1 } });
    expect(doc).toEqual({ machineid: '3', hasvote: false });
  });

  it('drops only the excluded fields in an exclusion', async () => {
    const doc = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { passwordhash: 0, tools: 0, addresses: 0, seq: 0 } });
    expect(doc).toEqual({ _id: 'uuid:3', machineid: '3', life: 0, jobs: [1], novote: true, hasvote: false });
  });

  it('can exclude _id alone', async () => {
    const doc = await machines().findOne({ _id: 'uuid:4' } as Loose, { projection: { _id: 0 } });
    expect(doc).toEqual({ machineid: '4', life: 1, jobs: [1, 2], passwordhash: 'x', tools: { version: '1.25.5' } });
  });

  it('includes and excludes nested dotted paths, also inside arrays of documents', async () => {
    const included = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { 'tools.version': 1, 'addresses.value': 1, _id: 0 } });
    expect(included).toEqual({ tools: { version: '1.25.6-trusty-amd64' }, addresses: [{ value: '10.23.0.13' }, { value: '54.1.2.3' }] });
    const excluded = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { 'tools.url': 0, 'tools.size': 0, passwordhash: 0, seq: 0, addresses: 0 } });
    expect(excluded!.tools).toEqual({ version: '1.25.6-trusty-amd64' });
    expect(excluded!.machineid).toBe('3');
  });

  it('returns an empty-field document (with _id) when included fields are missing', async () => {
    const doc = await machines().findOne({ _id: 'uuid:4' } as Loose, { projection: { hasvote: 1 } });
    expect(doc).toEqual({ _id: 'uuid:4' });
  });

  it('supports $slice and $elemMatch', async () => {
    const sliced = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { addresses: { $slice: 1 }, machineid: 1 } });
    expect(sliced).toEqual({ _id: 'uuid:3', machineid: '3', addresses: [{ value: '10.23.0.13', scope: 'local-cloud' }] });
    const matched = await machines().findOne({ _id: 'uuid:3' } as Loose, { projection: { addresses: { $elemMatch: { scope: 'public' } } } });
    expect(matched).toEqual({ _id: 'uuid:3', addresses: [{ value: '54.1.2.3', scope: 'public' }] });
  });

  it('projects every document of a multi-batch cursor', async () => {
    const coll = client.db('scratch').collection<Loose>('projected');
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, n: i, pad: 'x'.repeat(50) })));
    const docs = await coll.find({}, { projection: { n: 1 }, batchSize: 40, sort: { _id: 1 } }).toArray();
    expect(docs).toHaveLength(250);
    expect(docs.every((d, i) => d._id === i && d.n === i && !('pad' in d))).toBe(true);
  });
});
