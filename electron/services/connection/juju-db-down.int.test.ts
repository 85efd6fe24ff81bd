import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { targetForSandbox } from '../environments/targets';
import { createMemoryLogger } from '../log';
import { ConnectionManager } from './connection-manager';
import type { EnvironmentConnection } from './environment-connection';

/**
 * A state server whose juju-db is down while its SSH is up, as met on a real
 * host: the SSH server refuses the `direct-tcpip` channel to 127.0.0.1:37017,
 * the juju-db client only sees its tunnel socket dropped ("reset"), and the
 * operator must read that the port is closed on machine N, with the command
 * to check it, the raw text behind Details. Once juju-db runs again, the same
 * session reads again.
 */

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let env: EnvironmentConnection;
const secrets = new SecretRegistry();
const logger = createMemoryLogger(secrets);

function addressOf(id: string): string {
  return sandbox.describe().machines.find((m) => m.id === id)!.address;
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-juju-db-down-'));
  sandbox = await startSandbox({ home, ...testMongoProfile() });
  manager = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 200, maxMs: 1_000 } });
  env = manager.open(targetForSandbox(sandbox.describe()));
}, 60_000);

afterAll(async () => {
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('juju-db down on a reachable machine', () => {
  it('says the port is closed on machine 1 (not "reset"), with the raw SSH refusal as detail, then reads again once juju-db runs', async () => {
    const session = await env.stateServer(addressOf('1'));
    await session.withMongo((c) => c.command('admin', { ping: 1 }));

    await session.run({ kind: 'service', service: 'juju-db', action: 'stop' });
    const error = await session.withMongo((c) => c.command('admin', { ping: 1 })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QuorumError);
    const qe = error as QuorumError;
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.message).toContain(`juju-db's port is closed on machine 1 (${addressOf('1')})`);
    expect(qe.message).toContain('nothing listens on 127.0.0.1:37017');
    expect(qe.message).toContain('sudo service juju-db status');
    expect(qe.message).not.toMatch(/ECONNRESET|reset/);
    expect(qe.details).toMatchObject({ reason: 'port-closed' });
    expect(String(qe.details?.raw)).toContain('Channel open failure');

    await session.run({ kind: 'service', service: 'juju-db', action: 'start' });
    const deadline = Date.now() + 20_000;
    let answer: unknown = null;
    while (Date.now() < deadline) {
      answer = await session.withMongo((c) => c.command('admin', { ping: 1 })).catch((e: unknown) => e);
      if (!(answer instanceof Error)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answer).not.toBeInstanceOf(Error);
  }, 60_000);
});
