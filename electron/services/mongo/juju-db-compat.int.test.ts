/**
 * Quorum's juju-db layer against the sandbox as Juju 1.25 runs juju-db:
 * MongoDB 2.4 (the default profile) behind an environment CA signed with
 * SHA-1, as a Juju client built with Go 1.2 or older makes it. Node 20's
 * OpenSSL refuses such a chain at its default security level; Quorum lowers
 * the level for that environment only and still verifies the chain. An
 * independent 2.4-era client (the npm `mongodb@2.2` driver, MONGODB-CR) reads
 * the same data through the same SSH tunnel, so the sandbox is not merely
 * shaped to Quorum's own client.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../../shared/redact';
import { parseReplSetStatus } from '../../../shared/model/replica-set';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { connectLegacyDriver, type LegacyDriver } from '../backups/testing/legacy-driver';
import { ConnectionManager } from '../connection/connection-manager';
import type { StateServerSession } from '../connection/state-server-session';
import { targetForSandbox } from '../environments/targets';
import { createMemoryLogger } from '../log';
import { MongoTunnel } from './tunnel';
import { isWeaklySignedCa } from './tls-options';

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let session: StateServerSession;
let caPem: string;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-compat-'));
  sandbox = await startSandbox({ home, caSignature: 'sha1', machines: { stateServers: 3, workloads: 1 } });
  const description = sandbox.describe();
  caPem = description.environment.caCertPem;
  const secrets = new SecretRegistry();
  manager = new ConnectionManager({ quorumHome: home, secrets, logger: createMemoryLogger(secrets), backoff: { initialMs: 200, maxMs: 1_000 } });
  const target = targetForSandbox(description);
  session = await manager.open(target).stateServer(target.stateServers[0]!.address);
});

afterAll(async () => {
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('juju-db as Juju 1.25 runs it: MongoDB 2.4 behind a SHA-1-signed CA', () => {
  it('is a chain Node refuses at its default security level', async () => {
    expect(isWeaklySignedCa(caPem)).toBe(true);
    const tunnel = await MongoTunnel.open(() => session.forwardOut('127.0.0.1', 37017));
    try {
      const refused = await new Promise<Error | null>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: tunnel.port, ca: caPem, servername: 'juju-mongodb' });
        socket.once('secureConnect', () => {
          socket.destroy();
          resolve(null);
        });
        socket.once('error', (error) => resolve(error));
      });
      expect(refused?.message).toMatch(/too weak|digest|signature/i);
    } finally {
      await tunnel.close();
    }
  });

  it('is read by Quorum: legacy client, MONGODB-CR, replica set and Juju documents', async () => {
    const { status, machines, server } = await session.withMongo(async (client) => ({
      server: client.server,
      status: await client.command('admin', { replSetGetStatus: 1 }),
      machines: await client.find({ db: 'juju', collection: 'machines' }, {}, { projection: { machineid: 1 } }).toArray(),
    }));
    expect(server).toMatchObject({ version: '2.4.9', maxWireVersion: 0, protocol: 'legacy', authMechanism: 'MONGODB-CR' });
    const parsed = parseReplSetStatus(status);
    expect(parsed.members).toHaveLength(3);
    expect(parsed.members.filter((m) => m.state === 'PRIMARY')).toHaveLength(1);
    expect(machines.map((m) => m.machineid).sort()).toEqual(['0', '1', '2', '3']);
  });

  describe('an independent 2.4-era client through the same SSH tunnel', () => {
    let legacy: LegacyDriver;
    beforeAll(async () => {
      legacy = await connectLegacyDriver(session, caPem);
    });
    afterAll(async () => {
      await legacy?.close();
    });

    it('authenticates with MONGODB-CR and reads replSetGetStatus and juju.machines', async () => {
      const status = await legacy.command('admin', { replSetGetStatus: 1 });
      expect(status.set).toBe('juju');
      expect(parseReplSetStatus(status).members).toHaveLength(3);
      const machines = await legacy.find('juju', 'machines');
      expect(machines.map((m) => m.machineid).sort()).toEqual(['0', '1', '2', '3']);
      const build = await legacy.command('admin', { buildInfo: 1 });
      expect(build.version).toBe('2.4.9');
    });
  });
});
