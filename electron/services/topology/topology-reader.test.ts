import { Long, Timestamp, type Document } from 'bson';
import { describe, expect, it } from 'vitest';
import { PRESENCE_PERIOD_SECONDS, presenceDocId, timeSlot } from '../../../shared/model/presence';
import { JujuDbServerError, type FindOptions, type JujuDbClient, type JujuDbCursor, type Namespace } from '../mongo/juju-db-client';
import { PresenceReader } from './presence-reader';
import { isNotYetInitialized, readRound } from './topology-reader';

/**
 * One round of reads over a stand-in `JujuDbClient` answering as MongoDB 2.4
 * does (replSetGetStatus with bare Timestamps, the config from
 * local.system.replset, 2.4's answer before initiation) and as later
 * servers do.
 */

const ENV = '9f1c3e0a-0000-4000-8000-000000000001';
const NOW = 1_700_000_100_000;

interface Call {
  readonly op: string;
  readonly ns?: string;
  readonly filter?: Document;
  readonly options?: FindOptions;
}

function cursor(docs: Document[]): JujuDbCursor<Document> {
  let i = 0;
  return {
    next: async () => docs[i++] ?? null,
    toArray: async () => docs.slice(i),
    close: async () => undefined,
    async *[Symbol.asyncIterator]() {
      yield* docs;
    },
  };
}

function matches(doc: Document, filter: Document): boolean {
  const id = filter['_id'] as unknown;
  if (id === undefined) return true;
  if (typeof id === 'string') return doc['_id'] === id;
  const spec = id as { $in?: unknown[]; $regex?: string };
  if (spec.$in) return spec.$in.includes(doc['_id']);
  if (spec.$regex) return new RegExp(spec.$regex).test(String(doc['_id']));
  return true;
}

function fakeClient(collections: Record<string, Document[]>, replSet: { status: () => Document; config: () => Document }): { client: JujuDbClient; calls: Call[] } {
  const calls: Call[] = [];
  const find = (ns: Namespace, filter: Document = {}, options?: FindOptions): JujuDbCursor<Document> => {
    calls.push({ op: 'find', ns: `${ns.db}.${ns.collection}`, filter, ...(options ? { options } : {}) });
    return cursor((collections[`${ns.db}.${ns.collection}`] ?? []).filter((d) => matches(d, filter)));
  };
  const client = {
    server: { version: '2.4.9', maxWireVersion: 0, protocol: 'legacy', authMechanism: 'MONGODB-CR' },
    command: async (db: string, command: Document) => {
      calls.push({ op: `command ${db} ${Object.keys(command)[0]}` });
      if ('replSetGetStatus' in command) return replSet.status();
      throw new JujuDbServerError(`no such cmd: ${Object.keys(command)[0]}`, 59, { ok: 0 });
    },
    find,
    findOne: async (ns: Namespace, filter?: Document, options?: FindOptions) => {
      calls.push({ op: 'findOne', ns: `${ns.db}.${ns.collection}`, ...(filter ? { filter } : {}), ...(options ? { options } : {}) });
      return (collections[`${ns.db}.${ns.collection}`] ?? []).find((d) => matches(d, filter ?? {})) ?? null;
    },
    replSetGetConfig: async () => {
      calls.push({ op: 'replSetGetConfig' });
      return replSet.config();
    },
  } as unknown as JujuDbClient;
  return { client, calls };
}

const machine = (id: string, address: string): Document => ({
  _id: `${ENV}:${id}`,
  machineid: id,
  'env-uuid': ENV,
  series: 'trusty',
  life: 0,
  jobs: id === '0' ? [2, 1] : [1],
  hasvote: id === '0',
  novote: id !== '0',
  addresses: [{ value: address, addresstype: 'ipv4', networkscope: 'local-cloud' }],
  tools: { version: '1.25.6-trusty-amd64' },
  passwordhash: 'secret-hash',
  nonce: 'secret-nonce',
});

const status24 = (): Document => ({
  set: 'juju',
  date: new Date(NOW),
  myState: 1,
  members: [
    { _id: 1, name: '10.23.0.10:37017', health: 1, state: 1, stateStr: 'PRIMARY', optime: new Timestamp({ t: 1_700_000_090, i: 1 }), optimeDate: new Date(1_700_000_090_000), self: true },
  ],
  ok: 1,
});

const config24 = (): Document => ({ _id: 'juju', version: 1, members: [{ _id: 1, host: '10.23.0.10:37017', tags: { 'juju-machine-id': '0' } }] });

function collections(): Record<string, Document[]> {
  const slot = timeSlot(NOW);
  return {
    'juju.machines': [machine('0', '10.23.0.10'), machine('1', '10.23.0.11')],
    'juju.instanceData': [],
    'juju.statuses': [
      { _id: `${ENV}:m#0`, 'env-uuid': ENV, status: 'started', statusinfo: '' },
      { _id: `${ENV}:u#mysql/0`, 'env-uuid': ENV, status: 'active', statusinfo: '' },
    ],
    'juju.stateServers': [{ _id: 'e', 'env-uuid': ENV, machineids: ['0'], votingmachineids: ['0'] }],
    'presence.presence.pings': [{ _id: presenceDocId(ENV, slot), slot: Long.fromNumber(slot), alive: { '0': Long.fromNumber(1) } }],
    'presence.presence.beings': [{ _id: presenceDocId(ENV, 0), seq: Long.fromNumber(0), 'env-uuid': ENV, key: 'm#0' }],
  };
}

describe('readRound over JujuDbClient', () => {
  it('reads a 2.4 replica set (config from local.system.replset), Juju\'s collections with a projection, and presence', async () => {
    const { client, calls } = fakeClient(collections(), { status: status24, config: config24 });
    const round = await readRound(client, new PresenceReader(), () => NOW);
    expect(round.replicaSet?.status.members).toEqual([
      { id: 1, name: '10.23.0.10:37017', state: 'PRIMARY', health: 1, optimeSeconds: 1_700_000_090, self: true, message: null },
    ]);
    expect(round.replicaSet?.config).toEqual({ name: 'juju', version: 1, members: [{ id: 1, host: '10.23.0.10:37017', votes: 1, priority: 1, tags: { 'juju-machine-id': '0' } }] });
    expect(round.juju.machines.map((m) => m.id)).toEqual(['0', '1']);
    // Machine agent statuses only: the unit's is filtered out by the server.
    expect(round.juju.statuses).toHaveLength(1);
    expect(round.juju.presence).toEqual(new Map([['0', true], ['1', false]]));
    // The config through the interface (never a replSetGetConfig command), reads allowed on a secondary.
    expect(calls.filter((c) => c.op.startsWith('command')).map((c) => c.op)).toEqual(['command admin replSetGetStatus']);
    expect(calls.some((c) => c.op === 'replSetGetConfig')).toBe(true);
    const machines = calls.find((c) => c.ns === 'juju.machines')!;
    expect(machines.options?.secondaryOk).toBe(true);
    expect(Object.keys(machines.options?.projection ?? {})).not.toContain('passwordhash');
    expect(machines.options?.projection).toMatchObject({ machineid: 1, addresses: 1 });
    expect(calls.find((c) => c.ns === 'juju.statuses')?.filter).toEqual({ _id: { $regex: ':m#[^#]+$' } });
    expect(calls.filter((c) => c.ns === 'presence.presence.pings')).toHaveLength(1);
    // The slots around now, by id: never a scan.
    const ids = (calls.find((c) => c.ns === 'presence.presence.pings')!.filter!['_id'] as { $in: string[] }).$in;
    expect(ids).toContain(presenceDocId(ENV, timeSlot(NOW)));
    expect(ids).toContain(presenceDocId(ENV, timeSlot(NOW) - PRESENCE_PERIOD_SECONDS));
  });

  it('has no replica set before initiation, as 2.4 says it (startupStatus 3, "run rs.initiate", no code) and as later servers do (code 94)', async () => {
    const answers = [
      new JujuDbServerError("can't get local.system.replset config from self or any seed (EMPTYCONFIG)", 0, {
        startupStatus: 3,
        info: 'run rs.initiate(...) if not yet done for the set',
        ok: 0,
        errmsg: "can't get local.system.replset config from self or any seed (EMPTYCONFIG)",
      }),
      new JujuDbServerError('no replset config has been received', 94, { ok: 0, code: 94, codeName: 'NotYetInitialized' }, 'NotYetInitialized'),
    ];
    for (const answer of answers) {
      const { client } = fakeClient(collections(), {
        status: () => {
          throw answer;
        },
        // 2.4's local.system.replset is empty then: whatever the config read does must not matter.
        config: () => {
          throw new Error('local.system.replset is empty');
        },
      });
      const round = await readRound(client, new PresenceReader(), () => NOW);
      expect(round.replicaSet).toBeNull();
      expect(round.juju.machines).toHaveLength(2);
    }
  });

  it('fails the round on any other error of the status or the config', async () => {
    const other = new JujuDbServerError('unauthorized', 13, { ok: 0, code: 13 });
    const { client } = fakeClient(collections(), {
      status: () => {
        throw other;
      },
      config: config24,
    });
    await expect(readRound(client)).rejects.toBe(other);
    const configFails = new JujuDbServerError('not authorized on local', 13, { ok: 0 });
    const second = fakeClient(collections(), {
      status: status24,
      config: () => {
        throw configFails;
      },
    });
    await expect(readRound(second.client)).rejects.toBe(configFails);
  });
});

describe('isNotYetInitialized', () => {
  it('recognises 2.4\'s and later servers\' answers, and nothing else', () => {
    expect(isNotYetInitialized(new JujuDbServerError('x', 94, {}))).toBe(true);
    expect(isNotYetInitialized(new JujuDbServerError('x', 0, { startupStatus: 3 }))).toBe(true);
    expect(isNotYetInitialized(new JujuDbServerError('x', 0, { info: 'run rs.initiate(...) if not yet done for the set' }))).toBe(true);
    expect(isNotYetInitialized(new JujuDbServerError("can't get local.system.replset config from self or any seed (EMPTYCONFIG)", 0, {}))).toBe(true);
    // A driver error that was not wrapped still carries code/errorResponse.
    expect(isNotYetInitialized(Object.assign(new Error('x'), { errorResponse: { code: 94 } }))).toBe(true);
    expect(isNotYetInitialized(new JujuDbServerError('x', 0, { startupStatus: 1, info: 'loading local.system.replset config (LOADINGCONFIG)' }))).toBe(false);
    expect(isNotYetInitialized(new JujuDbServerError('not master', 10107, {}))).toBe(false);
    expect(isNotYetInitialized(null)).toBe(false);
    expect(isNotYetInitialized('run rs.initiate')).toBe(false);
  });
});
