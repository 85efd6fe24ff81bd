/**
 * Shared set-up for juju-db integration tests and benchmarks: a CA and
 * server certificate from the sandbox PKI, a cluster in a temporary
 * directory, and official-driver clients connected directly to one member
 * over verified TLS with SCRAM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { createCertificateAuthority, issueServerCertificate, type CertificateAuthority } from '../pki';
import type { JujuDbCluster, JujuDbProfile, JujuDbTls } from './api';
import { createJujuDbCluster } from './index';

let cachedPki: { ca: CertificateAuthority; tls: JujuDbTls } | undefined;

export function testPki(): { ca: CertificateAuthority; tls: JujuDbTls } {
  if (!cachedPki) {
    const ca = createCertificateAuthority('juju-db-test');
    const server = issueServerCertificate(ca, { dns: ['localhost', 'juju-mongodb'], ips: ['127.0.0.1'] });
    cachedPki = { ca, tls: { certPem: server.certPem, keyPem: server.keyPem, caPem: ca.certPem } };
  }
  return cachedPki;
}

export const ADMIN = { user: 'admin', password: 'admin-secret-pw' };
export const MACHINE0 = { user: 'machine-0', password: 'machine-0-pw' };

export interface TestCluster {
  cluster: JujuDbCluster;
  dataDir: string;
  tls: JujuDbTls;
  reopen(): Promise<JujuDbCluster>;
  dispose(): Promise<void>;
}

/**
 * A cluster in a temporary directory. The official-driver tests run it on
 * the modern profile (`6.0`, the default here); the 2.4 tests pass `profile: '2.4'`.
 */
export async function makeCluster(opts: { dataDir?: string; electionTimeoutMillis?: number; profile?: JujuDbProfile } = {}): Promise<TestCluster> {
  const { tls } = testPki();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'juju-db-test-'));
  const options = { dataDir, tls, setName: 'juju', bootstrapUsers: [ADMIN, MACHINE0], electionTimeoutMillis: opts.electionTimeoutMillis ?? 500, profile: opts.profile ?? '6.0' };
  const t: TestCluster = {
    cluster: await createJujuDbCluster(options),
    dataDir,
    tls,
    async reopen() {
      await t.cluster.close();
      t.cluster = await createJujuDbCluster(options);
      return t.cluster;
    },
    async dispose() {
      await t.cluster.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export function hostFor(machineId: string): string {
  return `10.23.0.${10 + Number(machineId)}:37017`;
}

/** A driver client connected straight to one member (as Quorum does through its tunnel). */
export async function connect(
  cluster: JujuDbCluster,
  machineId: string,
  creds: { user: string; password: string } = ADMIN,
  extra: MongoClientOptions = {},
): Promise<MongoClient> {
  const member = cluster.member(machineId);
  if (!member || member.port === 0) throw new Error(`member ${machineId} is not running`);
  const { ca } = testPki();
  const client = new MongoClient(`mongodb://127.0.0.1:${member.port}/?directConnection=true`, {
    tls: true,
    ca: ca.certPem,
    auth: { username: creds.user, password: creds.password },
    authSource: 'admin',
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    ...extra,
  });
  await client.connect();
  return client;
}

/** Start members 0..n-1 and initiate a set with all of them voting; resolves once machine 0 is primary. */
export async function startReplicaSet(t: TestCluster, ids: string[]): Promise<void> {
  for (const id of ids) await t.cluster.startMember(id, hostFor(id));
  const client = await connect(t.cluster, ids[0]!);
  try {
    await client.db('admin').command({
      replSetInitiate: {
        _id: 'juju',
        version: 1,
        members: ids.map((id, i) => ({ _id: i + 1, host: hostFor(id), tags: { 'juju-machine-id': id } })),
      },
    });
    await waitFor(async () => {
      const s = await client.db('admin').command({ replSetGetStatus: 1 });
      return s.members.every((m: { state: number }) => m.state === 1 || m.state === 2) && s.members.some((m: { state: number }) => m.state === 1);
    }, 15_000);
  } finally {
    await client.close();
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastErr ? `: ${String(lastErr)}` : ''}`);
}

/** Which machine is primary, according to the given member's status. */
export async function primaryOf(client: MongoClient): Promise<string | undefined> {
  const s = await client.db('admin').command({ replSetGetStatus: 1 });
  return s.members.find((m: { state: number }) => m.state === 1)?.name as string | undefined;
}
