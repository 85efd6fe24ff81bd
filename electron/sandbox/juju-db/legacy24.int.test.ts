/**
 * The 2.4 profile against clients of both eras: the npm `mongodb@2.2.36`
 * driver (an independent 2.4-era client: MONGODB-CR, OP_QUERY commands,
 * OP_INSERT/UPDATE/DELETE + getLastError, OP_GET_MORE) works unchanged; the
 * official 7.9 driver is refused in the handshake; raw wire checks pin the
 * reply shapes and flags.
 */
import { createRequire } from 'node:module';
import { Timestamp } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReplSetStatus } from '../../../shared/model/replica-set';
import { QUERY_SLAVE_OK, REPLY_CURSOR_NOT_FOUND, REPLY_QUERY_FAILURE } from './legacy/messages';
import { RawLegacyClient } from './legacy/wire-client';
import { ADMIN, MACHINE0, connect, hostFor, makeCluster, testPki, waitFor, type TestCluster } from './test-support';

// The 2.2 driver ships no types; its API is the subject of these tests, not their typing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const legacyDriver = createRequire(import.meta.url)('mongodb-2.2') as { MongoClient: { connect(url: string, options: object): Promise<Loose> } };

let t: TestCluster;
const open: { close(): unknown }[] = [];

async function driver24(machineId: string, creds = ADMIN, extra: object = {}): Promise<Loose> {
  const port = t.cluster.member(machineId)!.port;
  const url = `mongodb://${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/admin?authMechanism=MONGODB-CR&ssl=true`;
  const db = await legacyDriver.MongoClient.connect(url, { sslCA: [testPki().ca.certPem], sslValidate: true, poolSize: 1, ...extra });
  open.push(db);
  return db;
}

async function raw(machineId: string, auth = true): Promise<RawLegacyClient> {
  const c = await RawLegacyClient.connect(t.cluster.member(machineId)!.port, testPki().ca.certPem);
  open.push(c);
  if (auth) expect((await c.authenticate('admin', ADMIN.user, ADMIN.password)).ok).toBe(1);
  return c;
}

beforeAll(async () => {
  t = await makeCluster({ profile: '2.4', electionTimeoutMillis: 500 });
  for (const id of ['0', '1', '2']) await t.cluster.startMember(id, hostFor(id));
  const c = await raw('0');
  const init = await c.command('admin', {
    replSetInitiate: { _id: 'juju', version: 1, members: ['0', '1', '2'].map((id, i) => ({ _id: i + 1, host: hostFor(id), tags: { 'juju-machine-id': id } })) },
  });
  expect(init.ok).toBe(1);
  await waitFor(async () => {
    const s = await c.command('admin', { replSetGetStatus: 1 });
    return s.ok === 1 && s.members.some((m: Loose) => m.state === 1 && m.name === hostFor('0')) && s.members.every((m: Loose) => m.state === 1 || m.state === 2);
  }, 20_000);
});

afterAll(async () => {
  for (const c of open) await c.close();
  await t?.dispose();
});

describe('a 2.4-era client (mongodb@2.2.36) against the 2.4 profile', () => {
  it('authenticates with MONGODB-CR as admin and machine-0 and reads replSetGetStatus in 2.4 shape', async () => {
    for (const creds of [ADMIN, MACHINE0]) {
      const db = await driver24('0', creds);
      const status = await db.admin().command({ replSetGetStatus: 1 });
      expect(status.set).toBe('juju');
      expect(status.term).toBeUndefined();
      expect(status.optimes).toBeUndefined();
      const self = status.members.find((m: Loose) => m.self);
      expect(self).toMatchObject({ name: hostFor('0'), state: 1, stateStr: 'PRIMARY', health: 1 });
      expect(self.optime._bsontype).toBe('Timestamp');
      expect(self.optimeDate).toBeInstanceOf(Date);
      const other = status.members.find((m: Loose) => !m.self);
      expect(other).toHaveProperty('lastHeartbeat');
      expect(other).toHaveProperty('pingMs');
      const parsed = parseReplSetStatus(status);
      expect(parsed.members.map((m) => m.state).sort()).toEqual(['PRIMARY', 'SECONDARY', 'SECONDARY']);
      expect(parsed.members.every((m) => typeof m.optimeSeconds === 'number' && m.optimeSeconds > 0)).toBe(true);
    }
  });

  it('is refused with a wrong password', async () => {
    const err = await driver24('0', { user: 'admin', password: 'wrong' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/auth fails/);
    const c = await raw('0', false);
    expect(await c.authenticate('admin', 'machine-9', 'x')).toEqual({ ok: 0, errmsg: "auth: couldn't find user machine-9@admin, admin.system.users" });
    expect(await c.authenticate('admin', 'admin', 'wrong')).toEqual({ ok: 0, errmsg: 'auth fails' });
  });

  it('inserts, finds with a sort, updates, upserts and removes juju.machines, acknowledged by getLastError', async () => {
    const db = await driver24('0');
    const machines = db.db('juju').collection('machines');
    await machines.insertMany([
      { _id: '0', machineid: '0', jobs: [2, 1], life: 0 },
      { _id: '1', machineid: '1', jobs: [2, 1], life: 0 },
      { _id: '3', machineid: '3', jobs: [1], life: 0 },
    ]);
    expect((await machines.find({ jobs: 2 }).sort({ machineid: -1 }).toArray()).map((m: Loose) => m._id)).toEqual(['1', '0']);
    const upd = await machines.updateMany({ jobs: 1 }, { $set: { life: 1 } });
    expect(upd.result).toMatchObject({ ok: 1, n: 3, nModified: 3 });
    let gle = await db.db('juju').command({ getLastError: 1 });
    expect(gle).toMatchObject({ n: 3, updatedExisting: true, err: null, ok: 1 });
    expect(gle.connectionId).toEqual(expect.any(Number));
    expect(gle.lastOp._bsontype).toBe('Timestamp');
    const ups = await machines.updateOne({ _id: '4' }, { $set: { machineid: '4', life: 0 } }, { upsert: true });
    expect(ups.upsertedId._id).toBe('4');
    gle = await db.db('juju').command({ getLastError: 1 });
    expect(gle).toMatchObject({ n: 1, updatedExisting: false, upserted: '4', err: null });
    const rm = await machines.deleteOne({ _id: '3' });
    expect(rm.result).toMatchObject({ ok: 1, n: 1 });
    expect(await machines.count({})).toBe(3);
    const dup = await machines.insertOne({ _id: '0' }).catch((e: unknown) => e);
    expect((dup as Loose).code).toBe(11000);
    expect(String((dup as Error).message)).toBe('E11000 duplicate key error index: juju.machines.$_id_  dup key: { : "0" }');
  });

  it('reads in several batches through OP_GET_MORE', async () => {
    const db = await driver24('0');
    const coll = db.db('juju').collection('txns');
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, n: i, pad: 'x'.repeat(100) })));
    expect((await coll.find({}).batchSize(40).toArray()).map((d: Loose) => d.n)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(await coll.find({ n: { $gte: 100 } }, { pad: 0 }).sort({ n: -1 }).limit(120).toArray()).toHaveLength(120);
    const member = t.cluster.member('0') as unknown as { cursors: { size: number } };
    await waitFor(() => member.cursors.size === 0, 5000);
  });

  it('builds indexes by inserting into system.indexes and lists them in system.indexes and system.namespaces', async () => {
    const db = await driver24('0');
    const machines = db.db('juju').collection('machines');
    await machines.ensureIndex({ machineid: 1 }, { unique: true });
    await db.db('juju').createCollection('capped', { capped: true, size: 4096 });
    const indexes = await db.db('juju').collection('system.indexes').find({ ns: 'juju.machines' }).toArray();
    expect(indexes).toEqual([
      { v: 1, key: { _id: 1 }, ns: 'juju.machines', name: '_id_' },
      { v: 1, key: { machineid: 1 }, ns: 'juju.machines', name: 'machineid_1', unique: true },
    ]);
    const names = (await db.db('juju').collection('system.namespaces').find({}).toArray()) as Loose[];
    expect(names).toEqual(expect.arrayContaining([{ name: 'juju.machines' }, { name: 'juju.machines.$_id_' }, { name: 'juju.machines.$machineid_1' }, { name: 'juju.system.indexes' }]));
    expect(names.find((n) => n.name === 'juju.capped').options).toMatchObject({ capped: true, size: 4096 });
    const dup = await machines.insertOne({ _id: 'x', machineid: '0' }).catch((e: unknown) => e);
    expect(String((dup as Error).message)).toMatch(/^E11000 duplicate key error index: juju\.machines\.\$machineid_1 {2}dup key: \{ : "0" \}$/);
  });
});

describe('2.4 reply shapes on the wire', () => {
  it('answers isMaster without wire versions, buildInfo 2.4.9, and leaves OP_MSG unanswered on an open connection', async () => {
    const c = await raw('0', false);
    const im = await c.command('admin', { ismaster: 1, helloOk: true, client: { driver: { name: 'x' } } });
    expect(Object.keys(im)).toEqual(['setName', 'ismaster', 'secondary', 'hosts', 'primary', 'tags', 'me', 'maxBsonObjectSize', 'maxMessageSizeBytes', 'localTime', 'ok']);
    expect(im).toMatchObject({ setName: 'juju', ismaster: true, secondary: false, primary: hostFor('0'), me: hostFor('0'), maxBsonObjectSize: 16777216, maxMessageSizeBytes: 48000000, ok: 1 });
    expect(im.hosts).toEqual(['0', '1', '2'].map(hostFor));
    const info = await c.command('admin', { buildInfo: 1 });
    expect(info).toMatchObject({ version: '2.4.9', versionArray: [2, 4, 9, 0], ok: 1 });
    await expect(c.opMsg({ hello: 1, $db: 'admin' }, 400)).rejects.toThrow(/no reply/);
    expect(c.closed).toBe(false);
    expect((await c.command('admin', { ping: 1 })).ok).toBe(1);
  });

  it("answers commands 2.4 lacks with 'no such cmd', and refuses unauthenticated commands and queries", async () => {
    const anon = await raw('0', false);
    for (const name of ['find', 'insert', 'listCollections', 'listIndexes', 'createIndexes', 'saslStart', 'hello', 'endSessions', 'createUser', 'replSetGetConfig']) {
      const reply = await anon.command('admin', { [name]: 1 });
      expect(reply).toEqual({ errmsg: `no such cmd: ${name}`, 'bad cmd': { [name]: 1 }, ok: 0 });
    }
    expect(await anon.command('admin', { replSetGetStatus: 1 })).toEqual({ note: 'not authorized for command: replSetGetStatus on database admin', ok: 0, errmsg: 'unauthorized' });
    const q = await anon.query('juju.machines', {});
    expect(q.flags & REPLY_QUERY_FAILURE).toBeTruthy();
    expect(q.docs).toEqual([{ $err: 'not authorized for query on juju.machines', code: 16550 }]);
  });

  it('reads the replica set config from local.system.replset, honours SlaveOk on a secondary, and flags unknown cursors', async () => {
    const c = await raw('1');
    const cfg = await c.query('local.system.replset', {});
    expect(cfg.docs).toHaveLength(1);
    expect(cfg.docs[0]).toMatchObject({ _id: 'juju', version: 1 });
    expect(cfg.docs[0]!.members[0]).toEqual({ _id: 1, host: hostFor('0'), tags: { 'juju-machine-id': '0' } });
    await waitFor(async () => (await c.query('juju.machines', {}, { flags: QUERY_SLAVE_OK })).docs.length === 3, 5000);
    const refused = await c.query('juju.machines', { $query: {}, $orderby: { _id: 1 } });
    expect(refused.docs).toEqual([{ $err: 'not master and slaveOk=false', code: 13435 }]);
    const first = await c.query('juju.txns', { $query: {}, $orderby: { n: 1 } }, { flags: QUERY_SLAVE_OK, limit: 100, fields: { n: 1 } });
    expect(first.docs).toHaveLength(100);
    expect(first.docs[0]).toEqual({ _id: 0, n: 0 });
    const more = await c.getMore('juju.txns', first.cursorId, 0);
    expect([more.startingFrom, more.docs.length, more.cursorId]).toEqual([100, 150, 0n]);
    const gone = await c.getMore('juju.txns', first.cursorId);
    expect(gone.flags & REPLY_CURSOR_NOT_FOUND).toBeTruthy();
    expect(gone.docs).toEqual([]);
    const oplog = await c.query('local.oplog.rs', { $query: {}, $orderby: { $natural: -1 } }, { limit: -1 });
    expect(oplog.docs[0]!.ts).toBeInstanceOf(Timestamp);
  });

  it('reports writes on a secondary as not master, and waits for w with wtimeout through getLastError', async () => {
    const sec = await raw('1');
    sec.insert('juju.machines', [{ _id: 'on-secondary' }]);
    expect(await sec.command('juju', { getlasterror: 1 })).toMatchObject({ err: 'not master', code: 10058, n: 0, ok: 1 });

    const prim = await raw('0');
    prim.insert('juju.settings', [{ _id: 'w-majority' }]);
    const ok = await prim.command('juju', { getlasterror: 1, w: 'majority', wtimeout: 5000 });
    expect(ok).toMatchObject({ n: 0, err: null, ok: 1 });
    expect(ok.wtime).toEqual(expect.any(Number));
    expect(Object.keys(ok)).toEqual(['n', 'lastOp', 'connectionId', 'wtime', 'err', 'ok']);
    await t.cluster.stopMember('2');
    try {
      prim.insert('juju.settings', [{ _id: 'w-3' }]);
      const timedOut = await prim.command('juju', { getlasterror: 1, w: 3, wtimeout: 300 });
      expect(timedOut).toMatchObject({ wtimeout: true, err: 'timeout', ok: 1 });
      expect(timedOut.waited).toBeGreaterThanOrEqual(250);
    } finally {
      await t.cluster.startMember('2', hostFor('2'));
    }
  });
});

describe('a modern-only client against the 2.4 profile', () => {
  it('is refused in the handshake: 2.4 reports no wire version the official 7.9 driver accepts', async () => {
    const err = await connect(t.cluster, '0', ADMIN, { serverSelectionTimeoutMS: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/wire version/i);
  });
});
