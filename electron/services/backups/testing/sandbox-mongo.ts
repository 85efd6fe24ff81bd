import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { SecretRegistry } from '../../../../shared/redact';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import { ConnectionManager } from '../../connection/connection-manager';
import { targetForSandbox } from '../../environments/targets';
import { createMemoryLogger } from '../../log';

/**
 * A fresh in-process sandbox and a driver client on machine 0's juju-db
 * through the real connection layer (SSH tunnel, TLS, SCRAM), for
 * integration tests that talk to juju-db directly.
 */
export interface SandboxMongo {
  readonly home: string;
  readonly sandbox: Sandbox;
  readonly manager: ConnectionManager;
  readonly client: MongoClient;
  close(): Promise<void>;
}

export async function startSandboxMongo(tmpPrefix: string): Promise<SandboxMongo> {
  const secrets = new SecretRegistry();
  const home = await fs.mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  const sandbox = await startSandbox({ home });
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger: createMemoryLogger(secrets), backoff: { initialMs: 200, maxMs: 1_000 } });
  const target = targetForSandbox(sandbox.describe());
  const session = await manager.open(target).stateServer(target.stateServers[0]!.address);
  const client = await session.mongo();
  return {
    home,
    sandbox,
    manager,
    client,
    close: async () => {
      await manager.close();
      await sandbox.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}
