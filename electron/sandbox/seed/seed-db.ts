import { ObjectId, type Document } from 'bson';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { JujuDbServerError, type JujuDbClient, type Namespace } from '../../services/mongo/juju-db-client';
import { connectJujuDb } from '../../services/mongo/mongo-client';
import { JUJU_ADMIN_ROLES, legacyUserDocument } from '../juju-db/users';
import { REPLICA_SET_NAME, STATE_PORT, stateServers, type EnvironmentRecord } from '../model';
import { jujuSeed, type SeedBatch } from './juju-docs';
import { scaleBatches } from './scale';

/**
 * First-boot work done through Quorum's own juju-db client, as Juju's
 * bootstrap does it through mgo: initiate the `juju` replica set, wait for a
 * primary, then write Juju 1.25's documents. Going through `connectJujuDb`
 * (rather than writing juju-db's files) keeps the sandbox honest: if the
 * client cannot do it, Quorum could not either — and it works on both of
 * the sandbox's profiles, MongoDB 2.4 (the legacy client: OP_INSERT +
 * getLastError, `system.indexes`) and 6.0 (the official driver).
 */

export interface MemberEndpoint {
  readonly machineId: string;
  /** Local TLS port of the member on 127.0.0.1. */
  readonly port: number;
}

/** Who the sandbox's own clients are (`admin` / oldpassword), and the environment CA. */
export interface MemberAuth {
  readonly username: string;
  readonly password: string;
  readonly caPem: string;
}

/**
 * `JujuDbClient` on one member's local TLS port, authenticated in `admin`.
 * Failures come back as translated QuorumErrors (`mongo-auth-failed`,
 * `tls-failed`, `mongo-unavailable` …). Close it when done.
 */
export function openMember(port: number, auth: MemberAuth, timeoutMs = 10_000): Promise<JujuDbClient> {
  const secrets = new SecretRegistry();
  secrets.add(auth.password);
  return connectJujuDb(
    {
      host: '127.0.0.1',
      port,
      user: auth.username,
      password: auth.password,
      authSource: 'admin',
      caPem: auth.caPem,
      connectTimeoutMs: timeoutMs,
      operationTimeoutMs: Math.max(timeoutMs, 30_000),
      maxPoolSize: 2,
      appName: 'quorum-sandbox',
    },
    { address: `127.0.0.1:${port}`, user: auth.username, caSource: 'the sandbox CA' },
    secrets,
  );
}

/** Runs `fn` with a client of its own on the member, closed afterwards. */
export async function withMember<T>(port: number, auth: MemberAuth, fn: (c: JujuDbClient) => Promise<T>, timeoutMs?: number): Promise<T> {
  const client = await openMember(port, auth, timeoutMs);
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Wire version of MongoDB 2.6, the first with `createUser` (2.4 has no `maxWireVersion`: 0). */
const CREATE_USER_WIRE_VERSION = 2;

/**
 * Adds a state server's `machine-N` user in `admin` with Juju 1.25's roles,
 * the way the server in front of us takes it: on 2.4 (no `createUser`) an
 * upsert of the user document into `admin.system.users`, as mgo's
 * UpsertUser does there (`pwd` = md5 of `user:mongo:password`, roles by
 * name); from 2.6 the `createUser` command.
 */
export async function addAdminUser(client: JujuDbClient, user: string, password: string): Promise<void> {
  if (client.server.maxWireVersion < CREATE_USER_WIRE_VERSION) {
    const { _id: _ignored, ...doc } = legacyUserDocument(user, password, JUJU_ADMIN_ROLES);
    await client.update({ db: 'admin', collection: 'system.users' }, { user }, { $set: doc }, { upsert: true, writeConcern: { w: 1 } });
    return;
  }
  await client.command('admin', { createUser: user, pwd: password, roles: JUJU_ADMIN_ROLES.map((role) => ({ role, db: 'admin' })) }, { secondaryOk: false });
}

/** MongoDB's `AlreadyInitialized` error code (3.0+); 2.4 answers "already initialized" with no code. */
const ALREADY_INITIALIZED = 23;

function isAlreadyInitialized(error: unknown): boolean {
  if (!(error instanceof JujuDbServerError)) return false;
  return error.code === ALREADY_INITIALIZED || /already initiali[sz]ed/i.test(error.message);
}

/** replSetInitiate on the bootstrap member with every state server, `_id` 1.., tagged with its machine id. */
export async function initiateReplicaSet(env: EnvironmentRecord, bootstrap: MemberEndpoint, auth: MemberAuth): Promise<void> {
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
      await withMember(bootstrap.port, auth, async (c) => {
        await c.command('admin', { replSetInitiate: { _id: REPLICA_SET_NAME, version: 1, members } }, { secondaryOk: false });
      });
      return;
    } catch (err) {
      if (isAlreadyInitialized(err)) return;
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * True when the member says it is the primary. `isMaster` and its `ismaster`
 * field: the one form every MongoDB answers, 2.4 (which has no `hello`) to 6.0.
 */
export async function isPrimary(client: JujuDbClient): Promise<boolean> {
  const reply = await client.command('admin', { isMaster: 1 });
  return reply['ismaster'] === true;
}

/** Polls the members until one says it is the primary; returns it. */
export async function waitForPrimary(members: readonly MemberEndpoint[], auth: MemberAuth, timeoutMs = 30_000): Promise<MemberEndpoint> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const m of members) {
      const primary = await withMember(m.port, auth, isPrimary, 5_000).catch(() => false);
      if (primary) return m;
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
  auth: MemberAuth,
  content: { caCertPem: string; authorizedKeys: string },
  onProgress?: (writtenBytes: number) => void,
): Promise<number> {
  return withMember(primary.port, auth, async (c) => {
    let count = 0;
    const write = async (batch: SeedBatch) => {
      const ns: Namespace = { db: batch.db, collection: batch.collection };
      if (batch.docs.length === 0) {
        await c.createCollection(ns);
        return;
      }
      await c.insert(ns, batch.docs, { ordered: true });
      count += batch.docs.length;
    };
    for (const batch of jujuSeed(env, content.caCertPem, content.authorizedKeys)) await write(batch);
    const { txns, log } = txnDocs(env);
    await write({ db: 'juju', collection: 'txns', docs: txns });
    await write({ db: 'juju', collection: 'txns.log', docs: log });
    const juju = (collection: string): Namespace => ({ db: 'juju', collection });
    await c.createIndex(juju('machines'), { 'env-uuid': 1 });
    await c.createIndex(juju('units'), { 'env-uuid': 1, service: 1 });
    await c.createIndex(juju('units'), { 'env-uuid': 1, machineid: 1 });
    await c.createIndex(juju('txns'), { s: 1 });
    // An empty backups database: the metadata collection exists, no archives yet.
    await c.createCollection({ db: 'backups', collection: 'metadata' });
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
