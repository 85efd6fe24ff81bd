import type { Document } from 'bson';
import { SecretRegistry } from '../../../shared/redact';
import type { JujuDbClient, Namespace } from '../../services/mongo/juju-db-client';
import { connectJujuDb } from '../../services/mongo/mongo-client';
import { connectSsh, type TestSsh } from './ssh-client';

/**
 * Quorum's juju-db client reaching one juju-db member the way Quorum does:
 * an SSH session to the machine, a `direct-tcpip` tunnel to
 * 127.0.0.1:37017, TLS verified against the environment CA, authenticated
 * in `admin` (`connectJujuDb`: the legacy client and MONGODB-CR on the 2.4
 * sandbox, the official driver and SCRAM on the 6.0 profile). Failures are
 * Quorum's translated errors (`mongo-auth-failed` …).
 */

export interface MemberClient {
  readonly client: JujuDbClient;
  readonly ssh: TestSsh;
  close(): Promise<void>;
}

export async function openMemberClient(
  sshPort: number,
  privateKey: string,
  caPem: string,
  auth: { username: string; password: string },
  timeoutMs = 5_000,
): Promise<MemberClient> {
  const ssh = await connectSsh(sshPort, privateKey);
  const tunnel = await ssh.tunnel('127.0.0.1', 37017);
  const secrets = new SecretRegistry();
  secrets.add(auth.password);
  let client: JujuDbClient;
  try {
    client = await connectJujuDb(
      { host: '127.0.0.1', port: tunnel.port, user: auth.username, password: auth.password, caPem, authSource: 'admin', connectTimeoutMs: timeoutMs, appName: 'quorum-test' },
      { address: `127.0.0.1:${sshPort}`, user: auth.username },
      secrets,
    );
  } catch (err) {
    await tunnel.close();
    ssh.end();
    throw err;
  }
  return {
    client,
    ssh,
    close: async () => {
      await client.close().catch(() => undefined);
      await tunnel.close();
      ssh.end();
    },
  };
}

/** The `count` command (every MongoDB from 2.4 on has it). */
export async function countDocuments(client: JujuDbClient, ns: Namespace, query: Document = {}): Promise<number> {
  return Number((await client.command(ns.db, { count: ns.collection, query }))['n']);
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
