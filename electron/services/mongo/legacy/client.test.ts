import { Long, serialize } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { JujuDbNetworkError, JujuDbServerError, JujuDbTimeoutError, type JujuDbClient } from '../juju-db-client';
import { startFakeServer, type FakeHandler, type FakeRequest, type FakeServer, type FakeServerOptions } from './fake-legacy-server';
import { handshake, openLegacyJujuDb } from './index';

const USER = 'machine-0';
const PASSWORD = 'sekrit-statepassword';
const C = { db: 'juju', collection: 'machines' };

let server: FakeServer | undefined;
let client: JujuDbClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function connect(handler?: FakeHandler, serverOptions: FakeServerOptions = {}, clientOptions: { maxPoolSize?: number; operationTimeoutMs?: number; password?: string } = {}): Promise<{ server: FakeServer; client: JujuDbClient }> {
  server = await startFakeServer(handler, { user: USER, password: PASSWORD, ...serverOptions });
  const options = { port: server.port, user: USER, password: clientOptions.password ?? PASSWORD, caPem: server.caPem, ...clientOptions };
  client = await openLegacyJujuDb(options, await handshake(options));
  return { server, client };
}

const userRequests = (s: FakeServer): FakeRequest[] =>
  s.requests.filter((r) => !/^(isMaster|buildInfo|getnonce|authenticate|saslStart|saslContinue)$/.test(Object.keys(r.query)[0] ?? '') || r.opCode !== 2004);

/** Serves `docs` from juju.machines in batches of `batch`, with cursor 77. */
function collection(docs: object[], batch: number): FakeHandler {
  let position = 0;
  return (r) => {
    if (r.opCode === 2004 && r.namespace === 'juju.machines') {
      position = Math.min(batch, docs.length);
      return { documents: docs.slice(0, position), cursorId: position < docs.length ? 77n : 0n };
    }
    if (r.opCode === 2005) {
      const from = position;
      position = Math.min(position + batch, docs.length);
      return { documents: docs.slice(from, position), cursorId: position < docs.length ? 77n : 0n };
    }
    return undefined;
  };
}

const machines = Array.from({ length: 10 }, (_, i) => ({ _id: String(i), life: 0 }));

describe('authentication', () => {
  it('uses MONGODB-CR on MongoDB 2.4 (wire version 0), on the handshake connection', async () => {
    const { server, client } = await connect();
    expect(client.server).toEqual({ version: '2.4.9', maxWireVersion: 0, protocol: 'legacy', authMechanism: 'MONGODB-CR' });
    expect(server.stats.accepted).toBe(1);
    const auth = server.requests.find((r) => r.query['authenticate'])!;
    expect(auth.namespace).toBe('admin.$cmd');
    expect(auth.query).toMatchObject({ user: USER, nonce: '2375531c32080ae8' });
    expect(JSON.stringify(server.requests)).not.toContain(PASSWORD);
  });

  it('uses SCRAM-SHA-1 from 3.0, finishing the conversation with an empty saslContinue', async () => {
    const { server, client } = await connect(undefined, { maxWireVersion: 3, version: '3.0.15' });
    expect(client.server.authMechanism).toBe('SCRAM-SHA-1');
    expect(server.requests.map((r) => Object.keys(r.query)[0])).toEqual(['isMaster', 'buildInfo', 'saslStart', 'saslContinue', 'saslContinue']);
  });

  it('opens (and authenticates) a connection of its own when the handshake has none to hand over', async () => {
    server = await startFakeServer(undefined, { user: USER, password: PASSWORD });
    const options = { port: server.port, user: USER, password: PASSWORD, caPem: server.caPem };
    const found = await handshake(options);
    found.close();
    client = await openLegacyJujuDb(options, found);
    await expect(client.command('admin', { ping: 1 })).resolves.toMatchObject({ ok: 1 });
    expect(server.stats.accepted).toBe(2);
    expect(server.requests.filter((r) => r.query['authenticate']).map((r) => r.connection)).toEqual([2]);
  });

  it('refuses a SCRAM server that cannot prove it knows the password', async () => {
    const error = await connect(undefined, { maxWireVersion: 3, wrongServerSignature: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'JujuDbServerError', code: 18, message: /server signature/ });
  });

  it.each([0, 3])('refuses a wrong password with code 18 and no password in the message (wire %i)', async (maxWireVersion) => {
    const error = await connect(undefined, { maxWireVersion }, { password: 'wrong-password' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JujuDbServerError);
    expect((error as JujuDbServerError).code).toBe(18);
    expect((error as Error).message).toMatch(/Authentication failed/);
    expect((error as Error).message).not.toContain('wrong-password');
    await expect.poll(() => server!.stats.closedByClient).toBe(1);
  });
});

describe('commands', () => {
  it('sends OP_QUERY on <db>.$cmd for one document with SlaveOk, and throws ok: 0 as JujuDbServerError', async () => {
    const { server, client } = await connect((r) =>
      r.query['bad'] ? { documents: [{ ok: 0, errmsg: 'no such cmd', code: 59, codeName: 'CommandNotFound' }] } : r.query['ping'] ? { documents: [{ ok: 1, n: Long.fromNumber(5) }] } : undefined,
    );
    const reply = await client.command('juju', { ping: 1 });
    expect(reply['n']).toBeInstanceOf(Long);
    const last = server.requests.at(-1)!;
    expect(last).toMatchObject({ opCode: 2004, namespace: 'juju.$cmd', numberToReturn: -1, flags: 4 });
    await client.command('juju', { ping: 1 }, { secondaryOk: false });
    expect(server.requests.at(-1)!.flags).toBe(0);
    const error = await client.command('juju', { bad: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'JujuDbServerError', message: 'no such cmd', code: 59, codeName: 'CommandNotFound' });
  });

  it('throws a QueryFailure reply\'s $err', async () => {
    const { client } = await connect((r) => (r.namespace === 'juju.machines' ? { documents: [{ $err: 'not authorized for query on juju.machines', code: 16550 }], flags: 2 } : undefined));
    await expect(client.find(C).toArray()).rejects.toMatchObject({ name: 'JujuDbServerError', code: 16550, message: /not authorized/ });
  });
});

describe('cursors', () => {
  it('reads several batches with OP_GET_MORE on the cursor namespace', async () => {
    const { server, client } = await connect(collection(machines, 4));
    const docs = await client.find(C, { life: 0 }, { batchSize: 4 }).toArray();
    expect(docs.map((d) => d['_id'])).toEqual(machines.map((m) => m._id));
    const reqs = userRequests(server);
    expect(reqs.map((r) => [r.opCode, r.namespace, r.numberToReturn])).toEqual([
      [2004, 'juju.machines', 4],
      [2005, 'juju.machines', 4],
      [2005, 'juju.machines', 4],
    ]);
    expect(reqs[1]!.cursorIds).toEqual([77n]);
    expect(reqs[0]!.query).toEqual({ life: 0 });
  });

  it('kills the cursor with OP_KILL_CURSORS when the loop breaks early', async () => {
    const { server, client } = await connect(collection(machines, 3));
    const seen: unknown[] = [];
    for await (const doc of client.find(C)) {
      seen.push(doc['_id']);
      if (seen.length === 4) break;
    }
    expect(seen).toEqual(['0', '1', '2', '3']);
    await expect.poll(() => server.requests.filter((r) => r.opCode === 2007).map((r) => r.cursorIds)).toEqual([[77n]]);
  });

  it('close() kills an open cursor once; an exhausted cursor needs no kill', async () => {
    const { server, client } = await connect(collection(machines, 3));
    const cursor = client.find(C);
    expect(await cursor.next()).toMatchObject({ _id: '0' });
    await cursor.close();
    await cursor.close();
    expect(await cursor.next()).toBeNull();
    await client.find(C).toArray();
    await client.command('admin', { ping: 1 }).catch(() => undefined); // after any kill on the wire
    expect(server.requests.filter((r) => r.opCode === 2007)).toHaveLength(1);
  });

  it('respects limit across batches, asks only for what remains and kills the rest', async () => {
    const { server, client } = await connect(collection(machines, 3));
    const docs = await client.find(C, {}, { limit: 5, batchSize: 3 }).toArray();
    expect(docs.map((d) => d['_id'])).toEqual(['0', '1', '2', '3', '4']);
    const reqs = userRequests(server);
    expect(reqs.slice(0, 2).map((r) => [r.opCode, r.numberToReturn])).toEqual([
      [2004, 3],
      [2005, 2],
    ]);
    // The fake returned 3 in the second batch: one too many is dropped and the open cursor killed.
    await expect.poll(() => server.requests.filter((r) => r.opCode === 2007)).toHaveLength(1);
  });

  it('wraps filter and sort in $query/$orderby, sends the projection and skip; findOne asks for -1', async () => {
    const { server, client } = await connect(collection(machines, 100));
    await client.find(C, { life: 0 }, { sort: { $natural: -1 }, projection: { life: 1 }, skip: 2 }).toArray();
    const q = userRequests(server)[0]!;
    expect(q.query).toEqual({ $query: { life: 0 }, $orderby: { $natural: -1 } });
    expect(q.projection).toEqual({ life: 1 });
    expect(q.skip).toBe(2);
    expect(await client.findOne(C, { _id: '0' })).toMatchObject({ _id: '0' });
    expect(userRequests(server).at(-1)!.numberToReturn).toBe(-1);
  });

  it('keeps int64 as Long by default, and findRaw yields the raw BSON', async () => {
    const { client } = await connect(collection([{ _id: 1, txn: Long.fromNumber(2 ** 40) }], 10));
    expect((await client.findOne(C))!['txn']).toBeInstanceOf(Long);
    expect((await client.findOne(C, {}, { keepLongs: false }))!['txn']).toBe(2 ** 40);
    const raw = await client.findRaw(C).toArray();
    expect(raw).toHaveLength(1);
    expect(raw[0]).toEqual(Buffer.from(serialize({ _id: 1, txn: Long.fromNumber(2 ** 40) })));
  });

  it('throws CursorNotFound from a getMore', async () => {
    const { client } = await connect((r) => (r.opCode === 2004 && r.namespace === 'juju.machines' ? { documents: [{ _id: 1 }], cursorId: 5n } : r.opCode === 2005 ? { documents: [], flags: 1 } : undefined));
    await expect(client.find(C).toArray()).rejects.toMatchObject({ name: 'JujuDbServerError', code: 43 });
  });
});

describe('writes', () => {
  it('inserts with OP_INSERT then getLastError on the same connection; a write error is thrown', async () => {
    const { server, client } = await connect((r) => {
      if (r.opCode === 2002) return 'silent';
      if (r.query['getLastError'] && r.namespace === 'juju.$cmd') {
        const insert = server!.requests.filter((x) => x.opCode === 2002).at(-1)!;
        return insert.documents.some((d) => d['_id'] === 'dup')
          ? { documents: [{ ok: 1, err: 'E11000 duplicate key error index: juju.machines.$_id_  dup key: { : "dup" }', code: 11000, n: 0 }] }
          : { documents: [{ ok: 1, err: null, n: 0 }] };
      }
      return undefined;
    });
    expect(await client.insert(C, [{ _id: 'a' }, { _id: 'b' }])).toBe(2);
    const [insert, gle] = userRequests(server);
    expect(insert).toMatchObject({ opCode: 2002, namespace: 'juju.machines', flags: 0, documents: [{ _id: 'a' }, { _id: 'b' }] });
    expect(gle).toMatchObject({ opCode: 2004, namespace: 'juju.$cmd', query: { getLastError: 1, w: 1 }, connection: insert!.connection });
    const error = await client.insert(C, [{ _id: 'dup' }], { ordered: false, writeConcern: { w: 'majority', wtimeout: 1000, j: true } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'JujuDbServerError', code: 11000, message: /E11000/ });
    expect(server.requests.filter((r) => r.opCode === 2002).at(-1)!.flags).toBe(1);
    expect(server.requests.at(-1)!.query).toEqual({ getLastError: 1, w: 'majority', j: true, wtimeout: 1000 });
  });

  it('update sends the upsert/multi flags and reads n and upserted; remove sends SingleRemove and reads n', async () => {
    let next: object = { ok: 1, err: null, n: 3, updatedExisting: true };
    const { server, client } = await connect((r) => (r.query['getLastError'] ? { documents: [next] } : undefined));
    expect(await client.update(C, { life: 0 }, { $set: { life: 1 } }, { multi: true })).toEqual({ matched: 3 });
    expect(server.requests.find((r) => r.opCode === 2001)).toMatchObject({ flags: 2, query: { life: 0 }, update: { $set: { life: 1 } } });
    next = { ok: 1, err: null, n: 1, updatedExisting: false, upserted: 'new-id' };
    expect(await client.update(C, { _id: 'new-id' }, { $set: { life: 1 } }, { upsert: true })).toEqual({ matched: 0, upsertedId: 'new-id' });
    expect(server.requests.filter((r) => r.opCode === 2001).at(-1)!.flags).toBe(1);
    next = { ok: 1, err: null, n: 1 };
    expect(await client.remove(C, { _id: 'x' }, { justOne: true })).toBe(1);
    expect(server.requests.find((r) => r.opCode === 2006)).toMatchObject({ flags: 1, query: { _id: 'x' }, namespace: 'juju.machines' });
  });

  it('throws a write concern timeout and a wnote', async () => {
    let next: object = { ok: 1, err: 'timeout', wtimeout: true, n: 0 };
    const { client } = await connect((r) => (r.query['getLastError'] ? { documents: [next] } : undefined));
    await expect(client.remove(C, {}, { writeConcern: { w: 2, wtimeout: 10 } })).rejects.toMatchObject({ code: 64, message: /timed out/ });
    next = { ok: 1, err: null, n: 0, wnote: 'no replication has been enabled, so w=2.0 won\'t work' };
    await expect(client.remove(C, {}, { writeConcern: { w: 2 } })).rejects.toMatchObject({ name: 'JujuDbServerError', message: /no replication/ });
  });

  it('splits inserts under maxMessageSizeBytes', async () => {
    const { server, client } = await connect(undefined, { maxMessageSizeBytes: 2000 });
    const docs = Array.from({ length: 10 }, (_, i) => ({ _id: i, pad: 'x'.repeat(500) }));
    expect(await client.insert(C, docs)).toBe(10);
    const inserts = server.requests.filter((r) => r.opCode === 2002);
    expect(inserts.map((r) => r.documents.length)).toEqual([3, 3, 3, 1]);
    expect(server.requests.filter((r) => r.query['getLastError'])).toHaveLength(4);
  });
});

describe('failures', () => {
  it('times out a request the server never answers, closing its connection; the next operation opens a new one', async () => {
    let silent = true;
    const { server, client } = await connect((r) => (r.query['ping'] && silent ? 'silent' : undefined));
    const started = Date.now();
    const error = await client.command('admin', { ping: 1 }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JujuDbTimeoutError);
    expect((error as JujuDbTimeoutError).timeoutMs).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect.poll(() => server.stats.closedByClient).toBe(1);
    silent = false;
    await expect(client.command('admin', { ping: 1 })).resolves.toMatchObject({ ok: 1 });
    expect(server.stats.accepted).toBe(2);
  });

  it('uses the client\'s operationTimeoutMs for a getMore that never comes back', async () => {
    const { server, client } = await connect((r) => (r.opCode === 2005 ? 'silent' : collection(machines, 2)(r)), {}, { operationTimeoutMs: 150 });
    await expect(client.find(C).toArray()).rejects.toBeInstanceOf(JujuDbTimeoutError);
    await expect.poll(() => server.stats.closedByClient).toBe(1);
  });

  it('cancels on abort with an AbortError and closes the connection', async () => {
    const { server, client } = await connect((r) => (r.query['ping'] ? 'silent' : undefined));
    const controller = new AbortController();
    const pending = client.command('admin', { ping: 1 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => server.stats.closedByClient).toBe(1);
    await expect(client.command('admin', { isMaster: 1 }, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails with JujuDbNetworkError when the server closes the connection mid-request', async () => {
    const { client } = await connect((r) => (r.query['ping'] ? 'close' : undefined));
    const error = await client.command('admin', { ping: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JujuDbNetworkError);
    expect((error as Error).message).toMatch(/closed by the server|reset by the server/);
  });

  it('rejects operations once closed', async () => {
    const { client } = await connect();
    await client.close();
    await expect(client.command('admin', { ping: 1 })).rejects.toBeInstanceOf(JujuDbNetworkError);
    await expect(client.find(C).toArray()).rejects.toBeInstanceOf(JujuDbNetworkError);
  });
});

describe('pool', () => {
  it('runs at most maxPoolSize operations at once, each on its own connection, the rest waiting', async () => {
    let inFlight = 0;
    let peak = 0;
    const { server, client } = await connect(
      async (r) => {
        if (!r.query['slow']) return undefined;
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 40));
        inFlight--;
        return { documents: [{ ok: 1, connection: r.connection }] };
      },
      {},
      { maxPoolSize: 3 },
    );
    const replies = await Promise.all(Array.from({ length: 9 }, () => client.command('admin', { slow: 1 })));
    expect(replies).toHaveLength(9);
    expect(peak).toBe(3);
    expect(server.stats.accepted).toBe(3);
    expect(new Set(replies.map((r) => r['connection'])).size).toBe(3);
    // New connections are authenticated too.
    expect(server.requests.filter((r) => r.query['authenticate']).map((r) => r.connection).sort()).toEqual([1, 2, 3]);
  });

  it('gives a waiting operation a timeout error when no connection frees up', async () => {
    const { client } = await connect((r) => (r.query['slow'] ? new Promise((resolve) => setTimeout(() => resolve({ documents: [{ ok: 1 }] }), 300)) : undefined), {}, { maxPoolSize: 1 });
    const slow = client.command('admin', { slow: 1 });
    await expect(client.command('admin', { ping: 1 }, { timeoutMs: 50 })).rejects.toBeInstanceOf(JujuDbTimeoutError);
    await expect(slow).resolves.toMatchObject({ ok: 1 });
  });
});

describe('helpers by server version', () => {
  const namespaces = [
    { name: 'juju.system.indexes' },
    { name: 'juju.machines' },
    { name: 'juju.machines.$_id_' },
    { name: 'juju.txns.log', options: { create: 'txns.log', capped: true, size: 10485760 } },
    { name: 'juju.txns.log.$_id_' },
  ];

  it('2.4: collections from system.namespaces, indexes from system.indexes, createIndex by insert, config from local.system.replset', async () => {
    const { server, client } = await connect((r) => {
      if (r.namespace === 'juju.system.namespaces') return { documents: namespaces };
      if (r.namespace === 'juju.system.indexes' && r.opCode === 2004) return { documents: [{ v: 1, key: { _id: 1 }, name: '_id_', ns: 'juju.machines' }] };
      if (r.namespace === 'local.system.replset') return { documents: [{ _id: 'juju', version: 3, members: [] }] };
      return undefined;
    });
    expect(await client.listCollections('juju')).toEqual([
      { name: 'system.indexes', options: {} },
      { name: 'machines', options: {} },
      { name: 'txns.log', options: { create: 'txns.log', capped: true, size: 10485760 } },
    ]);
    expect(await client.listIndexes(C)).toEqual([{ v: 1, key: { _id: 1 }, name: '_id_', ns: 'juju.machines' }]);
    expect(server.requests.find((r) => r.namespace === 'juju.system.indexes')!.query).toEqual({ ns: 'juju.machines' });
    await client.createIndex(C, { life: 1, 'jobs.name': -1 }, { unique: true });
    const insert = server.requests.find((r) => r.opCode === 2002)!;
    expect(insert.namespace).toBe('juju.system.indexes');
    expect(insert.documents).toEqual([{ key: { life: 1, 'jobs.name': -1 }, name: 'life_1_jobs.name_-1', unique: true, ns: 'juju.machines' }]);
    expect(server.requests.at(-1)!.query).toMatchObject({ getLastError: 1 });
    expect(await client.replSetGetConfig()).toEqual({ _id: 'juju', version: 3, members: [] });
  });

  it('2.4: replSetGetConfig without a replica set is a server error', async () => {
    const { client } = await connect();
    await expect(client.replSetGetConfig()).rejects.toMatchObject({ name: 'JujuDbServerError', code: 76 });
  });

  it('3.0+: listCollections and listIndexes commands with their cursors, createIndexes, replSetGetConfig', async () => {
    const { server, client } = await connect(
      (r) => {
        if (r.query['listCollections']) return { documents: [{ ok: 1, cursor: { id: 0x7123456789abcdefn, ns: 'juju.$cmd.listCollections', firstBatch: [{ name: 'machines', options: {} }] } }] };
        if (r.opCode === 2005 && r.namespace === 'juju.$cmd.listCollections') return { documents: [{ name: 'txns.log', options: { capped: true } }], cursorId: 0n };
        if (r.query['listIndexes'] === 'missing') return { documents: [{ ok: 0, errmsg: 'ns does not exist', code: 26 }] };
        if (r.query['listIndexes']) return { documents: [{ ok: 1, cursor: { id: 0n, ns: 'juju.$cmd.listIndexes.machines', firstBatch: [{ v: 1, key: { _id: 1 }, name: '_id_' }] } }] };
        if (r.query['createIndexes'] || r.query['create']) return { documents: [{ ok: 1 }] };
        if (r.query['replSetGetConfig']) return { documents: [{ ok: 1, config: { _id: 'juju', version: 4, members: [] } }] };
        return undefined;
      },
      { maxWireVersion: 6, version: '3.6.23' },
    );
    expect(await client.listCollections('juju')).toEqual([
      { name: 'machines', options: {} },
      { name: 'txns.log', options: { capped: true } },
    ]);
    expect(server.requests.find((r) => r.opCode === 2005)!.cursorIds).toEqual([0x7123456789abcdefn]);
    expect(await client.listIndexes(C)).toEqual([{ v: 1, key: { _id: 1 }, name: '_id_' }]);
    expect(await client.listIndexes({ db: 'juju', collection: 'missing' })).toEqual([]);
    await client.createIndex(C, { life: 1 }, { name: 'by-life', background: true });
    expect(server.requests.at(-1)!.query).toEqual({ createIndexes: 'machines', indexes: [{ key: { life: 1 }, name: 'by-life', background: true }] });
    expect(await client.replSetGetConfig()).toEqual({ _id: 'juju', version: 4, members: [] });
  });

  it('listDatabases, and createCollection tolerating an existing collection only', async () => {
    const { client } = await connect((r) => {
      if (r.query['listDatabases']) return { documents: [{ ok: 1, databases: [{ name: 'juju', sizeOnDisk: 218103808, empty: false }, { name: 'local', sizeOnDisk: 1, empty: false }], totalSize: 1 }] };
      if (r.query['create'] === 'txns.log') return { documents: [{ ok: 0, errmsg: 'collection already exists' }] };
      if (r.query['create'] === 'other') return { documents: [{ ok: 0, errmsg: 'exists', code: 48 }] };
      if (r.query['create'] === 'bad') return { documents: [{ ok: 0, errmsg: 'invalid ns', code: 73 }] };
      return undefined;
    });
    expect(await client.listDatabases()).toEqual([
      { name: 'juju', sizeOnDisk: 218103808, empty: false },
      { name: 'local', sizeOnDisk: 1, empty: false },
    ]);
    await expect(client.createCollection({ db: 'juju', collection: 'txns.log' }, { capped: true, size: 1024 })).resolves.toBeUndefined();
    await expect(client.createCollection({ db: 'juju', collection: 'other' })).resolves.toBeUndefined();
    await expect(client.createCollection({ db: 'juju', collection: 'bad' })).rejects.toMatchObject({ code: 73 });
  });
});
