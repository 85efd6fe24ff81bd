import { MongoClient, ObjectId, type Document } from 'mongodb';
import { QuorumError } from '../../../shared/errors';
import { REPLICA_SET_NAME, STATE_PORT, stateServers, type EnvironmentRecord } from '../model';
import { jujuSeed, type SeedBatch } from './juju-docs';
import { scaleBatches } from './scale';

/**
 * First-boot work done through the official driver, as Juju's bootstrap
 * does it through mgo: initiate the `juju` replica set, wait for a primary,
 * then write Juju 1.25's documents. Going through the driver (rather than
 * writing juju-db's files) keeps the sandbox honest: if the driver cannot do
 * it, Quorum could not either.
 */

export interface MemberEndpoint {
  readonly machineId: string;
  /** Local TLS port of the member on 127.0.0.1. */
  readonly port: number;
}

export interface DriverAuth {
  readonly username: string;
  readonly password: string;
  readonly caPem: string;
}

export function connectMember(port: number, auth: DriverAuth, timeoutMs = 10_000): MongoClient {
  return new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, {
    tls: true,
    ca: auth.caPem,
    auth: { username: auth.username, password: auth.password },
    authSource: 'admin',
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    appName: 'quorum-sandbox',
  });
}

async function withClient<T>(port: number, auth: DriverAuth, fn: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = connectMember(port, auth);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** replSetInitiate on the bootstrap member with every state server, `_id` 1.., tagged with its machine id. */
export async function initiateReplicaSet(env: EnvironmentRecord, bootstrap: MemberEndpoint, auth: DriverAuth): Promise<void> {
  const members = stateServers(env).map((m, i) => ({
    _id: i + 1,
    host: `${m.address}:${STATE_PORT}`,
    tags: { 'juju-machine-id': m.id },
  }));
  // Members that have only just started may not hear each other yet (a busy machine): retry for a while,
  // as Juju's bootstrap does, and take "already initialized" from an earlier attempt as done.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await withClient(bootstrap.port, auth, async (c) => {
        await c.db('admin').command({ replSetInitiate: { _id: REPLICA_SET_NAME, version: 1, members } });
      });
      return;
    } catch (err) {
      if ((err as { code?: number }).code === ALREADY_INITIALIZED) return;
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** MongoDB's `AlreadyInitialized` error code. */
const ALREADY_INITIALIZED = 23;

/** Polls the members until one says it is the writable primary; returns it. */
export async function waitForPrimary(members: readonly MemberEndpoint[], auth: DriverAuth, timeoutMs = 30_000): Promise<MemberEndpoint> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const m of members) {
      const hello = await withClient(m.port, auth, (c) => c.db('admin').command({ hello: 1 })).catch(() => undefined);
      if (hello?.isWritablePrimary === true) return m;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new QuorumError('sandbox-failed', 'The sandbox juju-db replica set elected no primary in time. Reset the sandbox (npm run sandbox -- --reset) and try again.');
}

function txnDocs(env: EnvironmentRecord): { txns: Document[]; log: Document[] } {
  const id = new ObjectId();
  return {
    txns: [{ _id: id, s: 6, o: [{ c: 'stateServers', d: 'e', a: 'd-', i: { machineids: stateServers(env).map((m) => m.id) } }], n: 'bootstrap' }],
    log: [{ _id: id, stateServers: { d: ['e'], r: [1] } }],
  };
}

/** Writes the default documents (and scale filler) on the primary. Returns the number of documents written. */
export async function seedJujuDatabase(
  env: EnvironmentRecord,
  primary: MemberEndpoint,
  auth: DriverAuth,
  content: { caCertPem: string; authorizedKeys: string },
  onProgress?: (writtenBytes: number) => void,
): Promise<number> {
  return withClient(primary.port, auth, async (c) => {
    let count = 0;
    const write = async (batch: SeedBatch) => {
      if (batch.docs.length === 0) {
        await c.db(batch.db).createCollection(batch.collection).catch(() => undefined);
        return;
      }
      await c.db(batch.db).collection(batch.collection).insertMany(batch.docs, { ordered: true });
      count += batch.docs.length;
    };
    for (const batch of jujuSeed(env, content.caCertPem, content.authorizedKeys)) await write(batch);
    const { txns, log } = txnDocs(env);
    await write({ db: 'juju', collection: 'txns', docs: txns });
    await write({ db: 'juju', collection: 'txns.log', docs: log });
    await c.db('juju').collection('machines').createIndex({ 'env-uuid': 1 });
    await c.db('juju').collection('units').createIndex({ 'env-uuid': 1, service: 1 });
    await c.db('juju').collection('units').createIndex({ 'env-uuid': 1, machineid: 1 });
    await c.db('juju').collection('txns').createIndex({ s: 1 });
    // An empty backups database: the metadata collection exists, no archives yet.
    await c.db('backups').createCollection('metadata');
    if (env.scaleMb > 0) {
      let written = 0;
      for (const batch of scaleBatches(env, env.scaleMb)) {
        await write({ db: 'juju', collection: batch.collection, docs: batch.docs });
        written += batch.bytes;
        if (batch.bytes) onProgress?.(written);
      }
    }
    return count;
  });
}
