import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { SecretRegistry } from '../../../../shared/redact';
import type { JujuDbProfile } from '../../../sandbox/juju-db/api';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import { ConnectionManager } from '../../connection/connection-manager';
import type { StateServerSession } from '../../connection/state-server-session';
import { targetForSandbox } from '../../environments/targets';
import { createMemoryLogger } from '../../log';
import type { JujuDbClient } from '../../mongo/juju-db-client';

/**
 * A fresh in-process sandbox whose juju-db speaks `profile` (MongoDB 2.4 as
 * Juju 1.25 runs it, or 6.0), and Quorum's juju-db client on machine 0
 * through the real connection layer (SSH tunnel, TLS, MONGODB-CR or SCRAM),
 * for integration tests that talk to juju-db directly.
 */
export interface SandboxMongo {
  readonly profile: JujuDbProfile;
  readonly home: string;
  readonly sandbox: Sandbox;
  readonly manager: ConnectionManager;
  readonly session: StateServerSession;
  readonly client: JujuDbClient;
  close(): Promise<void>;
}

/** The MongoDB profiles the backup integration tests run on (2.4 first: what Juju 1.25 runs). */
export const BACKUP_TEST_PROFILES: readonly JujuDbProfile[] = ['2.4', '6.0'];

export async function startSandboxMongo(tmpPrefix: string, profile: JujuDbProfile = '2.4'): Promise<SandboxMongo> {
  const secrets = new SecretRegistry();
  const home = await fs.mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  const sandbox = await startSandbox({ home, mongo: profile });
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger: createMemoryLogger(secrets), backoff: { initialMs: 200, maxMs: 1_000 } });
  const target = targetForSandbox(sandbox.describe());
  const session = await manager.open(target).stateServer(target.stateServers[0]!.address);
  const client = await session.mongo();
  return {
    profile,
    home,
    sandbox,
    manager,
    session,
    client,
    close: async () => {
      await manager.close();
      await sandbox.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * The official driver's MongoClient behind a driver-backed `JujuDbClient`
 * (6.0 profile), so tests can check that the driver's own GridFS reads what
 * Quorum writes and the other way round; null on the legacy client.
 */
export function driverBehind(client: JujuDbClient): MongoClient | null {
  if (client.server.protocol !== 'driver') return null;
  const inner = (client as unknown as { client?: unknown }).client;
  return inner instanceof MongoClient ? inner : null;
}
