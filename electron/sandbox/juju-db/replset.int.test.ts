import { MongoServerError, type Document, type MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, hostFor, makeCluster, primaryOf, startReplicaSet, waitFor, type TestCluster } from './test-support';

let t: TestCluster | undefined;
const clients: MongoClient[] = [];

async function client(machineId: string): Promise<MongoClient> {
  const c = await connect(t!.cluster, machineId);
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await t?.dispose();
  t = undefined;
});

async function status(c: MongoClient): Promise<Document> {
  return c.db('admin').command({ replSetGetStatus: 1 });
}

async function config(c: MongoClient): Promise<Document> {
  return (await c.db('admin').command({ replSetGetConfig: 1 })).config as Document;
}

describe('juju-db replica set', () => {
  it('reports status and config with MongoDB fields, and replicates writes', async () => {
    t = await makeCluster({ profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    const p = await client('0');
    const s = await status(p);
    expect(s).toMatchObject({ set: 'juju', myState: 1, majorityVoteCount: 2, writeMajorityCount: 2, votingMembersCount: 3, writableVotingMembersCount: 3, ok: 1 });
    expect(Number(s.heartbeatIntervalMillis)).toBe(2000);
    expect(Number(s.term)).toBeGreaterThanOrEqual(1);
    for (const m of s.members) {
      for (const f of ['_id', 'name', 'health', 'state', 'stateStr', 'uptime', 'optime', 'optimeDate', 'syncSourceHost', 'syncSourceId', 'infoMessage', 'configVersion', 'configTerm']) {
        expect(m, f).toHaveProperty(f);
      }
    }
    const self = s.members.find((m: Document) => m.self);
    expect(self).toMatchObject({ name: hostFor('0'), stateStr: 'PRIMARY', health: 1 });
    expect(self.electionTime).toBeDefined();
    const other = s.members.find((m: Document) => m.name === hostFor('1'));
    expect(other).toHaveProperty('lastHeartbeat');
    expect(other).toHaveProperty('pingMs');
    expect(other.syncSourceHost).toBe(hostFor('0'));
    const cfg = await config(p);
    expect(cfg.members[0]).toMatchObject({ _id: 1, host: hostFor('0'), votes: 1, priority: 1, tags: { 'juju-machine-id': '0' } });

    // Writes with w: majority return once a majority applied them; secondaries follow.
    await p.db('juju').collection('machines').insertOne({ _id: 'm9' as never, x: 1 }, { writeConcern: { w: 'majority' } });
    const sec = await client('2');
    await waitFor(async () => (await sec.db('juju').collection('machines').findOne({ _id: 'm9' as never })) !== null, 5000);
    const hello = await sec.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: false, secondary: true, primary: hostFor('0'), me: hostFor('2'), setName: 'juju' });
    expect(hello.hosts).toEqual([hostFor('0'), hostFor('1'), hostFor('2')]);
    const err = await sec.db('juju').collection('machines').insertOne({ y: 1 }).catch((e: MongoServerError) => e);
    expect((err as MongoServerError).code).toBe(10107);
    expect((err as MongoServerError).message).toBe('not primary');

    // The oplog can be read from a point in time (what a backup does).
    const oplog = p.db('local').collection('oplog.rs');
    const lastBefore = await oplog.find({}).sort({ $natural: -1 }).limit(1).next();
    await p.db('juju').collection('machines').insertOne({ _id: 'm10' as never });
    const newer = await oplog.find({ ts: { $gt: lastBefore!.ts } }).toArray();
    expect(newer.map((e) => [e.op, e.ns, e.o._id])).toEqual([['i', 'juju.machines', 'm10']]);
    expect(newer[0]).toHaveProperty('t');
    expect(newer[0]).toHaveProperty('wall');
  });

  it('applies replSetReconfig rules with MongoDB error codes', async () => {
    t = await makeCluster({ profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    const p = await client('0');
    const cfg = await config(p);
    const reconfig = (c: Document, force = false) => p.db('admin').command({ replSetReconfig: c, force }).catch((e: MongoServerError) => e);
    const next = (mut: (c: Document) => void): Document => {
      const c = structuredClone(cfg);
      c.version = cfg.version + 1;
      mut(c);
      return c;
    };
    const expectErr = async (c: Document, code: number, msg: RegExp) => {
      const r = await reconfig(c);
      expect(r, JSON.stringify(c)).toBeInstanceOf(MongoServerError);
      expect((r as MongoServerError).code).toBe(code);
      expect((r as MongoServerError).message).toMatch(msg);
    };
    await expectErr(next((c) => (c._id = 'other')), 103, /differ in replica set name/);
    await expectErr({ ...cfg, version: cfg.version }, 103, /version must be greater than old/);
    await expectErr(next((c) => (c.members[1].votes = 2)), 103, /votes field value is 2 but must be 0 or 1/);
    await expectErr(next((c) => ((c.members[1].votes = 0), (c.members[1].priority = 1))), 103, /priority must be 0 when non-voting/);
    await expectErr(next((c) => (c.members[2]._id = c.members[1]._id)), 103, /same _id field/);
    await expectErr(next((c) => (c.members[2].host = c.members[1].host)), 103, /same host field/);
    const eight = next((c) => {
      c.members = Array.from({ length: 8 }, (_, i) => ({ _id: i + 1, host: hostFor(String(i)) }));
    });
    await expectErr(eight, 103, /8 voting members, but must be at least 1 and no more than 7/);
    const many = next((c) => {
      c.members = Array.from({ length: 51 }, (_, i) => ({ _id: i + 1, host: `10.1.${i}.1:37017`, votes: i < 1 ? 1 : 0, priority: i < 1 ? 1 : 0 }));
      c.members[0].host = hostFor('0');
    });
    await expectErr(many, 103, /51 members/);
    await expectErr(
      next((c) => c.members.push({ _id: 4, host: hostFor('3') }, { _id: 5, host: hostFor('4') })),
      103,
      /can only add or remove at most 1 voting member/,
    );
    const parse = await reconfig(next((c) => (c.members = 'nope')));
    expect((parse as MongoServerError).code).toBe(93);

    // Allowed: one non-voting member added, then promoted (one voting change).
    expect(await reconfig(next((c) => c.members.push({ _id: 4, host: hostFor('3'), votes: 0, priority: 0, tags: { 'juju-machine-id': '3' } })))).toMatchObject({ ok: 1 });
    await t.cluster.startMember('3', hostFor('3'));
    await waitFor(async () => (await status(p)).members.find((m: Document) => m.name === hostFor('3'))?.state === 2, 10_000);
    const hello = await p.db('admin').command({ hello: 1 });
    expect(hello.passives).toEqual([hostFor('3')]);
    const c2 = await config(p);
    c2.version += 1;
    c2.members[3].votes = 1;
    c2.members[3].priority = 1;
    expect(await reconfig(c2)).toMatchObject({ ok: 1 });
    expect((await status(p)).votingMembersCount).toBe(4);
    // Two voting changes at once are allowed with force.
    const c3 = await config(p);
    c3.members = c3.members.slice(0, 2);
    expect(await reconfig({ ...c3, version: c3.version + 1 }, true)).toMatchObject({ ok: 1 });
    await waitFor(async () => (await config(p)).members.length === 2, 5000);
  });

  it('elects a new primary when the primary stops, refuses writes without a majority, and recovers', async () => {
    t = await makeCluster({ electionTimeoutMillis: 500, profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    const s1 = await client('1');
    const termBefore = Number((await status(s1)).term);
    await (await client('0')).db('juju').collection('c').insertOne({ before: 1 }, { writeConcern: { w: 'majority' } });
    const stoppedAt = Date.now();
    await t.cluster.stopMember('0');
    await waitFor(async () => (await primaryOf(s1)) !== undefined, 5000);
    const failoverMs = Date.now() - stoppedAt;
    const st = await status(s1);
    expect(Number(st.term)).toBeGreaterThan(termBefore);
    const down = st.members.find((m: Document) => m.name === hostFor('0'));
    expect(down).toMatchObject({ health: 0, state: 8, stateStr: '(not reachable/healthy)' });
    const newPrimary = await primaryOf(s1);
    expect([hostFor('1'), hostFor('2')]).toContain(newPrimary);
    console.log(`failover: new primary ${newPrimary} after ${failoverMs} ms`);
    const pid = newPrimary === hostFor('1') ? '1' : '2';
    const other = pid === '1' ? '2' : '1';
    const pc = await client(pid);
    await pc.db('juju').collection('c').insertOne({ during: 1 }, { writeConcern: { w: 'majority' } });

    // Losing a second voter: no majority → no primary, writes refused.
    await t.cluster.stopMember(other);
    await waitFor(async () => (await status(pc)).myState === 2, 5000);
    expect(await primaryOf(pc)).toBeUndefined();
    const refused = await pc.db('juju').collection('c').insertOne({ nope: 1 }).catch((e: MongoServerError) => e);
    expect((refused as MongoServerError).code).toBe(10107);

    // Bring the machines back: a primary again, and the old primary catches up.
    await t.cluster.startMember('0', hostFor('0'));
    await t.cluster.startMember(other, hostFor(other));
    await waitFor(async () => (await primaryOf(pc)) !== undefined, 8000);
    const c0 = await client('0');
    await waitFor(async () => (await c0.db('juju').collection('c').countDocuments({ during: 1 })) === 1, 8000);
    const all = await status(c0);
    expect(all.members.map((m: Document) => m.health)).toEqual([1, 1, 1]);
  });

  it('treats an unhealthy member as unreachable and takes the primary role from it', async () => {
    t = await makeCluster({ electionTimeoutMillis: 400, profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    t.cluster.setHealthy('0', false);
    const s1 = await client('1');
    await waitFor(async () => [hostFor('1'), hostFor('2')].includes((await primaryOf(s1)) ?? ''), 5000);
    const st = await status(s1);
    expect(st.members.find((m: Document) => m.name === hostFor('0')).health).toBe(0);
    const c0 = await client('0');
    expect((await status(c0)).myState).toBe(2);
    t.cluster.setHealthy('0', true);
    await waitFor(async () => (await status(s1)).members.every((m: Document) => m.health === 1), 5000);
  });

  it('steps down on request and another member is elected', async () => {
    t = await makeCluster({ electionTimeoutMillis: 400, profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    const p = await client('0');
    await p.db('admin').command({ replSetStepDown: 30 });
    const s1 = await client('1');
    await waitFor(async () => [hostFor('1'), hostFor('2')].includes((await primaryOf(s1)) ?? ''), 5000);
  });

  it('persists data, config and term across close and reopen', async () => {
    t = await makeCluster({ profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    const p = await client('0');
    await p.db('juju').collection('persist').insertMany(Array.from({ length: 500 }, (_, i) => ({ i, pad: 'x'.repeat(100) })), { writeConcern: { w: 'majority' } });
    await p.db('juju').collection('persist').createIndex({ i: 1 }, { unique: true });
    await p.db('juju').collection('persist').updateOne({ i: 3 }, { $set: { changed: true } }, { writeConcern: { w: 3 } });
    const term = Number((await status(p)).term);
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await t.cluster.close();
    const t0 = Date.now();
    const { createJujuDbCluster } = await import('./index');
    t.cluster = await createJujuDbCluster({ dataDir: t.dataDir, tls: t.tls, setName: 'juju', bootstrapUsers: [], electionTimeoutMillis: 500, profile: '6.0' });
    for (const id of ['0', '1', '2']) await t.cluster.startMember(id, hostFor(id));
    const startupMs = Date.now() - t0;
    console.log(`restart of 3 members with a small data set: ${startupMs} ms`);
    expect(startupMs).toBeLessThan(1000);
    const c1 = await client('1');
    await waitFor(async () => (await primaryOf(c1)) !== undefined, 8000);
    expect(await c1.db('juju').collection('persist').countDocuments({})).toBe(500);
    expect(await c1.db('juju').collection('persist').findOne({ i: 3 })).toMatchObject({ changed: true });
    expect((await config(c1)).members).toHaveLength(3);
    expect(Number((await status(c1)).term)).toBeGreaterThanOrEqual(term);
    const pc = await client(((await primaryOf(c1)) ?? '').startsWith('10.23.0.10') ? '0' : ((await primaryOf(c1)) ?? '').startsWith('10.23.0.11') ? '1' : '2');
    const dup = await pc.db('juju').collection('persist').insertOne({ i: 3 }).catch((e: MongoServerError) => e);
    expect((dup as MongoServerError).code).toBe(11000);
  });

  it('reports a member outside the config as removed, and one never configured as uninitialised', async () => {
    t = await makeCluster({ profile: '6.0' });
    await startReplicaSet(t, ['0', '1', '2']);
    await t.cluster.startMember('5', hostFor('5'));
    const lone = await client('5');
    const e1 = await status(lone).catch((e: MongoServerError) => e);
    expect((e1 as MongoServerError).code).toBe(94);
    const hello = await lone.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: false, secondary: false, isreplicaset: true });
    const p = await client('0');
    const cfg = await config(p);
    cfg.version += 1;
    cfg.members = cfg.members.filter((m: Document) => m.host !== hostFor('2'));
    // Removing a voter from 3 leaves 2: one voting change, allowed.
    await p.db('admin').command({ replSetReconfig: cfg });
    const c2 = await client('2');
    await waitFor(async () => {
      const e = await status(c2).catch((x: MongoServerError) => x);
      return e instanceof MongoServerError && e.code === 93;
    }, 5000);
  });
});
