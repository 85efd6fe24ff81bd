import { Long } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, hostFor, MACHINE0, makeCluster, testPki, waitFor, type TestCluster } from '../../../sandbox/juju-db/test-support';
import { JujuDbServerError, type JujuDbClient, type JujuDbConnectOptions } from '../juju-db-client';
import { handshake, openLegacyJujuDb } from './index';

/**
 * The legacy client against the sandbox juju-db's MongoDB 2.4 profile (what
 * a Juju 1.25 state server runs): MONGODB-CR, OP_QUERY cursors, OP_INSERT/
 * OP_UPDATE/OP_DELETE with getLastError, system.namespaces/system.indexes.
 */

let t: TestCluster;
let client: JujuDbClient;
let port: number;
const C = { db: 'juju', collection: 'legacyclient' };

function optionsFor(creds: { user: string; password: string }): JujuDbConnectOptions {
  return { port, user: creds.user, password: creds.password, caPem: testPki().tls.caPem, operationTimeoutMs: 10_000 };
}

async function open(creds = ADMIN): Promise<JujuDbClient> {
  const options = optionsFor(creds);
  return openLegacyJujuDb(options, await handshake(options));
}

beforeAll(async () => {
  t = await makeCluster({ profile: '2.4' });
  await t.cluster.startMember('0', hostFor('0'));
  port = t.cluster.member('0')!.port;
  client = await open();
  await client.command('admin', { replSetInitiate: { _id: 'juju', version: 1, members: [{ _id: 1, host: hostFor('0') }] } });
  await waitFor(async () => (await client.command('admin', { isMaster: 1 }))['ismaster'] === true, 15_000);
});

afterAll(async () => {
  await client?.close();
  await t?.dispose();
});

describe('legacy client against the sandbox juju-db (2.4 profile)', () => {
  it('sees MongoDB 2.4 and authenticated with MONGODB-CR', () => {
    expect(client.server).toMatchObject({ version: '2.4.9', maxWireVersion: 0, protocol: 'legacy', authMechanism: 'MONGODB-CR' });
  });

  it('refuses a wrong password with code 18, and accepts machine-0', async () => {
    const error = await open({ user: MACHINE0.user, password: 'not-the-password' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JujuDbServerError);
    expect((error as JujuDbServerError).code).toBe(18);
    const machine = await open(MACHINE0);
    await machine.close();
  });

  it('inserts, reads in batches with a limit, updates and removes', async () => {
    const docs = Array.from({ length: 250 }, (_, i) => ({ _id: i, n: i, big: Long.fromNumber(2 ** 40 + i) }));
    expect(await client.insert(C, docs)).toBe(250);
    const all = await client.find(C, {}, { batchSize: 40, sort: { _id: 1 } }).toArray();
    expect(all.map((d) => d['_id'])).toEqual(docs.map((d) => d._id));
    expect(all[0]!['big']).toBeInstanceOf(Long);
    const limited = await client.find(C, { n: { $gte: 100 } }, { limit: 75, batchSize: 30, sort: { _id: 1 } }).toArray();
    expect(limited.map((d) => d['_id'])).toEqual(docs.slice(100, 175).map((d) => d._id));
    // Early close and a limit reached with documents left both free the server's cursor.
    const openCursors = async (): Promise<number> => Number(((await client.command('admin', { serverStatus: 1 }, { keepLongs: false }))['cursors'] as { totalOpen: number }).totalOpen);
    const before = await openCursors();
    const cursor = client.find(C, {}, { batchSize: 10 });
    await cursor.next();
    expect(await openCursors()).toBe(before + 1);
    await cursor.close();
    expect(await openCursors()).toBe(before);
    expect(await client.find(C, {}, { limit: 15, batchSize: 10 }).toArray()).toHaveLength(15);
    expect(await openCursors()).toBe(before);
    const dup = await client.insert(C, [{ _id: 1 }]).catch((e: unknown) => e);
    expect(dup).toMatchObject({ name: 'JujuDbServerError', code: 11000 });
    expect(await client.update(C, { n: { $lt: 10 } }, { $set: { touched: true } }, { multi: true })).toEqual({ matched: 10 });
    expect(await client.update(C, { _id: 'new' }, { $set: { n: -1 } }, { upsert: true })).toMatchObject({ matched: 0, upsertedId: 'new' });
    expect(await client.remove(C, { n: { $gte: 200 } })).toBe(50);
    expect(await client.findOne(C, { _id: 'new' })).toMatchObject({ n: -1 });
  });

  it('lists databases, collections and indexes, creates indexes and collections, reads the replica-set config', async () => {
    await client.createCollection({ db: 'juju', collection: 'capped' }, { capped: true, size: 4096 });
    await client.createCollection({ db: 'juju', collection: 'capped' }, { capped: true, size: 4096 });
    await client.createIndex(C, { n: 1, _id: -1 }, { unique: true });
    const collections = await client.listCollections('juju');
    expect(collections.map((c) => c.name)).toEqual(expect.arrayContaining(['legacyclient', 'capped', 'system.indexes']));
    expect(collections.find((c) => c.name === 'capped')!.options).toMatchObject({ capped: true });
    const indexes = await client.listIndexes(C);
    expect(indexes.map((i) => i['name'])).toEqual(expect.arrayContaining(['_id_', 'n_1__id_-1']));
    expect((await client.listDatabases()).map((d) => d.name)).toEqual(expect.arrayContaining(['juju', 'local', 'admin']));
    expect(await client.replSetGetConfig()).toMatchObject({ _id: 'juju', members: [{ _id: 1, host: hostFor('0') }] });
  });
});
