import { MongoClient } from 'mongodb';
import { connectSsh, type TestSsh } from './ssh-client';

/**
 * The official driver reaching one juju-db member the way Quorum does: an
 * SSH session to the machine, a `direct-tcpip` tunnel to 127.0.0.1:37017,
 * TLS verified against the environment CA, SCRAM auth in `admin`.
 */

export interface MemberClient {
  readonly client: MongoClient;
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
  const client = new MongoClient(`mongodb://127.0.0.1:${tunnel.port}/?directConnection=true`, {
    tls: true,
    ca: caPem,
    auth,
    authSource: 'admin',
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    await client.connect();
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
