import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { createCertificateAuthority } from '../../sandbox/pki';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { connectJujuDb } from '../mongo/mongo-client';
import { MongoTunnel } from '../mongo/tunnel';
import { SshClient } from '../ssh/ssh-client';
import { targetForSandbox } from '../environments/targets';
import type { ConnectionTarget } from '../environments/target';
import { createMemoryLogger } from '../log';
import { ConnectionManager } from './connection-manager';
import type { EnvironmentConnection } from './environment-connection';

/**
 * The connection layer against the real sandbox: SSH to each state server
 * with vouched host keys, agent.conf over SSH, the juju-db client through
 * the tunnel with TLS verified and authenticated as machine-N (the legacy
 * client with MONGODB-CR on the 2.4 sandbox, the driver with SCRAM on the
 * 6.0 profile), reconnect after a
 * power cycle, unreachable reported while powered off, a rotated host key
 * refused, and a close that leaves no sockets behind.
 */

let home: string;
let sandbox: Sandbox;
let target: ConnectionTarget;
const secrets = new SecretRegistry();
const logger = createMemoryLogger(secrets);
let manager: ConnectionManager;
let env: EnvironmentConnection;
let baselineHandles = 0;

/** Which implementation and mechanism Quorum must use on each sandbox profile. */
const CLIENT_BY_PROFILE = {
  '2.4': { protocol: 'legacy', authMechanism: 'MONGODB-CR' },
  '6.0': { protocol: 'driver', authMechanism: 'SCRAM-SHA-256' },
} as const;

function addressOf(id: string): string {
  return sandbox.describe().machines.find((m) => m.id === id)!.address;
}

/** Open TCP handles (sockets and servers) of this process. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

async function eventually<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      // keep polling
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-conn-'));
  // No provisioner or peergrouper: their own juju-db connections come and go with the power cycles
  // below, and this file counts the process's TCP handles to prove the connection layer leaks none.
  sandbox = await startSandbox({ home, ...testMongoProfile(), agents: { enabled: false } });
  target = targetForSandbox(sandbox.describe());
  baselineHandles = tcpHandles();
  manager = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 200, maxMs: 1_000 } });
  env = manager.open(target);
});

afterAll(async () => {
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('connection layer against the sandbox', () => {
  it('connects to every state server, trusting the vouched host keys, and reads agent.conf', async () => {
    const sessions = await Promise.all(target.stateServers.map((s) => env.stateServer(s.address)));
    expect(sessions.map((s) => s.machineId)).toEqual(['0', '1', '2']);
    const info = sessions[0]!.agentConf!;
    expect(info.tag).toBe('machine-0');
    expect(info.jobs).toContain('JobManageEnviron');
    expect(info.stateport).toBe(37017);
    expect(info.cacert).toContain('BEGIN CERTIFICATE');
    expect(info.environmentUuid).toBe(sandbox.describe().environment.uuid);
    // Nothing secret in the public part.
    expect(JSON.stringify(info)).not.toMatch(/password|PRIVATE KEY/i);
    const knownHosts = await fs.readFile(path.join(home, 'known_hosts'), 'utf8');
    expect(knownHosts.trim().split('\n')).toHaveLength(3);
    for (const s of target.stateServers) expect(knownHosts).toContain(`[127.0.0.1]:${s.ssh.port} ssh-ed25519 `);
    // The credentials are reachable only through the narrow method, and are registered secrets.
    const password = await sessions[0]!.withAdminCredentials(async (c) => c.statepassword);
    expect(secrets.has(password)).toBe(true);
    expect(JSON.stringify(env.status())).not.toContain(password);
    expect(env.status().stateServers.every((s) => s.state === 'connected')).toBe(true);
  });

  it('reuses one session per state server', async () => {
    const a = await env.stateServer(addressOf('1'));
    const b = await env.stateServer(addressOf('1'));
    expect(a).toBe(b);
  });

  it('talks to juju-db through the tunnel with TLS verified, authenticated as machine-N with the mechanism its MongoDB has', async () => {
    const session = await env.stateServer(addressOf('0'));
    const client = await session.mongo();
    expect(await session.mongo()).toBe(client);
    // The implementation and mechanism follow the server: 2.4 (Juju 1.25's, the default) or the 6.0 profile.
    const jujuDb = sandbox.describe().jujuDb!;
    expect(client.server).toMatchObject({ version: jujuDb.version, ...CLIENT_BY_PROFILE[jujuDb.profile] });
    const status = await session.withMongo((c) => c.command('admin', { replSetGetStatus: 1 }));
    expect(status['set']).toBe('juju');
    expect(status['members']).toHaveLength(3);
    const who = await session.withMongo((c) => c.command('admin', { connectionStatus: 1 }));
    // 2.4 names the user's database `userSource`, later servers `db`.
    const users = (who['authInfo'] as { authenticatedUsers: Array<{ user: string; db?: string; userSource?: string }> }).authenticatedUsers;
    expect(users.map((u) => [u.user, u.db ?? u.userSource])).toEqual([['machine-0', 'admin']]);
    const machines = await session.withMongo((c) => c.find({ db: 'juju', collection: 'machines' }).toArray());
    expect(machines.length).toBeGreaterThanOrEqual(3);
  });

  it('translates a wrong password into mongo-auth-failed and a foreign CA into tls-failed, leaking neither', async () => {
    const session = await env.stateServer(addressOf('0'));
    const tunnel = await MongoTunnel.open(() => session.forwardOut('127.0.0.1', 37017));
    try {
      const wrong = 'not-the-password-0123456789';
      secrets.add(wrong);
      const auth = await connectJujuDb(
        { port: tunnel.port, user: 'machine-0', password: wrong, caPem: sandbox.describe().environment.caCertPem },
        { address: addressOf('0'), user: 'machine-0' },
        secrets,
      ).catch((e: unknown) => e as QuorumError);
      expect(auth).toBeInstanceOf(QuorumError);
      expect((auth as QuorumError).code).toBe('mongo-auth-failed');
      expect(JSON.stringify((auth as QuorumError).toJSON())).not.toContain(wrong);

      const password = await session.withAdminCredentials(async (c) => c.statepassword);
      const tls = await connectJujuDb(
        { port: tunnel.port, user: 'machine-0', password, caPem: createCertificateAuthority('other').certPem },
        { address: addressOf('0'), user: 'machine-0' },
        secrets,
      ).catch((e: unknown) => e as QuorumError);
      expect((tls as QuorumError).code).toBe('tls-failed');
      expect((tls as QuorumError).message).toContain(addressOf('0'));
      expect(JSON.stringify((tls as QuorumError).toJSON())).not.toContain(password);
    } finally {
      await tunnel.close();
    }
  });

  it('reports a powered-off machine as unreachable without throwing at every call, then reconnects when it is back', async () => {
    const address = addressOf('2');
    const session = await env.stateServer(address);
    const client = await session.mongo();
    const listeners = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const listenersBefore = listeners();
    await sandbox.powerOff('2');
    await eventually(
      () => session.state,
      (s) => s === 'unreachable',
    );
    expect(session.error?.code).toBe('host-unreachable');
    expect(session.error?.message).toMatch(/Could not reach|was lost/);
    // A caller gets the current error at once rather than a new connection attempt.
    const t0 = Date.now();
    await expect(env.stateServer(address)).rejects.toMatchObject({ code: 'host-unreachable' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    const status = env.status().stateServers.find((s) => s.address === address)!;
    expect(status.state).toBe('unreachable');
    expect(status.error?.message).toContain(address);

    await sandbox.powerOn('2');
    await eventually(
      () => session.state,
      (s) => s === 'connected',
    );
    // The client handed out before the power cycle was closed with its SSH connection;
    // a fresh one works through the same tunnel (see state-server-session.ts for why).
    const ping = await eventually(
      () => session.withMongo((c) => c.command('admin', { ping: 1 })),
      (r) => r['ok'] === 1,
    );
    expect(ping['ok']).toBe(1);
    const fresh = await session.mongo();
    expect(fresh).not.toBe(client);
    // The same tunnel listener serves the fresh client: none was added (the machine's own listeners are back too).
    expect(listeners()).toBe(listenersBefore);
    await expect(client.command('admin', { ping: 1 })).rejects.toMatchObject({ name: 'JujuDbNetworkError' });
  });

  it('refuses a rotated host key with both fingerprints', async () => {
    const address = addressOf('1');
    const session = await env.stateServer(address);
    const before = sandbox.describe().machines.find((m) => m.id === '1')!.hostKeyFingerprint;
    const after = await sandbox.rotateHostKey('1');
    await eventually(
      () => session.state,
      (s) => s === 'error',
    );
    const error = session.error as QuorumError;
    expect(error.code).toBe('host-key-changed');
    expect(error.message).toContain(before);
    expect(error.message).toContain(after);
    expect(error.message).toContain(path.join(home, 'known_hosts'));
  });

  it('closes every SSH client, tunnel and juju-db client, leaving no sockets', async () => {
    expect(tcpHandles()).toBeGreaterThan(baselineHandles);
    await manager.close();
    // Back to what the sandbox alone holds: our sockets and tunnel listeners are gone, and so are the sandbox's ends of them.
    await eventually(
      () => tcpHandles(),
      (n) => n <= baselineHandles,
      5_000,
    );
    expect(manager.current).toBeNull();
  });

  it('asks the operator about an unvouched host key and trusts it only with the fingerprint the host presents', async () => {
    const otherHome = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-conn-trust-'));
    const plain: ConnectionTarget = { ...target, kind: 'manual', stateServers: target.stateServers.slice(0, 1), vouchedHostKeys: new Map() };
    const third = new ConnectionManager({ quorumHome: otherHome, secrets, logger, backoff: { initialMs: 200, maxMs: 1_000 } });
    try {
      const conn = third.open(plain);
      const { address, ssh } = plain.stateServers[0]!;
      const unknown = await conn.stateServer(address).catch((e: unknown) => e as QuorumError);
      expect(unknown).toBeInstanceOf(QuorumError);
      expect((unknown as QuorumError).code).toBe('host-key-unknown');
      const details = (unknown as QuorumError).details!;
      expect(details).toMatchObject({ host: ssh.host, port: ssh.port, keyType: 'ssh-ed25519' });
      expect(details.fingerprint).toBe(sandbox.describe().machines.find((m) => m.id === '0')!.hostKeyFingerprint);
      // Not retried on its own, nor by callers polling it: it waits for the operator.
      expect(conn.status().stateServers[0]!.state).toBe('error');
      const dials = vi.spyOn(SshClient, 'connect');
      try {
        for (let i = 0; i < 5; i++) await expect(conn.stateServer(address)).rejects.toMatchObject({ code: 'host-key-unknown' });
        expect(dials).not.toHaveBeenCalled();
      } finally {
        dials.mockRestore();
      }

      await expect(third.trustHostKey('sandbox', ssh.host, ssh.port, `SHA256:${'B'.repeat(43)}`)).rejects.toMatchObject({ code: 'conflict' });
      await expect(fs.stat(path.join(otherHome, 'known_hosts'))).rejects.toThrow();
      await third.trustHostKey('sandbox', ssh.host, ssh.port, String(details.fingerprint));
      await eventually(
        () => conn.status().stateServers[0]!.state,
        (s) => s === 'connected',
      );
      expect(await fs.readFile(path.join(otherHome, 'known_hosts'), 'utf8')).toContain(`[${ssh.host}]:${ssh.port} ssh-ed25519 `);
    } finally {
      await third.close();
      await fs.rm(otherHome, { recursive: true, force: true });
    }
  });

  it('asks for the passphrase of an encrypted key, then connects once it is given', async () => {
    const encrypted = path.join(home, 'encrypted_id_rsa');
    await fs.copyFile(target.keyFile, encrypted);
    const passphrase = 'open sesame for the sandbox';
    await promisify(execFile)('ssh-keygen', ['-p', '-q', '-P', '', '-N', passphrase, '-f', encrypted]);
    const encTarget: ConnectionTarget = { ...target, keyFile: encrypted, stateServers: target.stateServers.slice(0, 1), sshEndpointFor: target.sshEndpointFor };
    const second = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 200, maxMs: 1_000 } });
    try {
      const conn = second.open(encTarget);
      const address = encTarget.stateServers[0]!.address;
      await expect(conn.stateServer(address)).rejects.toMatchObject({ code: 'passphrase-required' });
      expect(conn.status().stateServers[0]).toMatchObject({ state: 'error', error: { code: 'passphrase-required' } });
      await expect(second.providePassphrase('sandbox', 'wrong guess!')).rejects.toMatchObject({ code: 'passphrase-required' });
      await second.providePassphrase('sandbox', passphrase);
      await eventually(
        () => conn.status().stateServers[0]!.state,
        (s) => s === 'connected',
      );
      expect((await conn.stateServer(address)).machineId).toBe('0');
      expect(logger.lines.join('\n')).not.toContain(passphrase);
    } finally {
      await second.close();
    }
  });

  it('speaks to the other juju-db profile too: the legacy client on 2.4, the official driver on 6.0', async () => {
    // Whatever profile this run uses, the other implementation is exercised here as well.
    const other = sandbox.describe().jujuDb!.profile === '2.4' ? '6.0' : '2.4';
    const otherHome = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-conn-other-'));
    const otherSandbox = await startSandbox({ home: otherHome, mongo: other, machines: { stateServers: 1, workloads: 0 } });
    const otherManager = new ConnectionManager({ quorumHome: otherHome, secrets, logger, backoff: { initialMs: 200, maxMs: 1_000 } });
    try {
      const otherTarget = targetForSandbox(otherSandbox.describe());
      const session = await otherManager.open(otherTarget).stateServer(otherTarget.stateServers[0]!.address);
      const client = await session.mongo();
      expect(client.server).toMatchObject({ version: otherSandbox.describe().jujuDb!.version, ...CLIENT_BY_PROFILE[other] });
      const status = await session.withMongo((c) => c.command('admin', { replSetGetStatus: 1 }));
      expect(status['set']).toBe('juju');
      const config = await session.withMongo((c) => c.replSetGetConfig());
      expect((config['members'] as unknown[]).length).toBe(1);
      expect(await session.withMongo((c) => c.find({ db: 'juju', collection: 'machines' }, {}, { projection: { machineid: 1 } }).toArray())).toHaveLength(1);
      const tunnel = await MongoTunnel.open(() => session.forwardOut('127.0.0.1', 37017));
      try {
        const wrong = 'not-the-password-either-0123';
        secrets.add(wrong);
        await expect(
          connectJujuDb({ port: tunnel.port, user: 'machine-0', password: wrong, caPem: otherSandbox.describe().environment.caCertPem }, { address: otherTarget.stateServers[0]!.address, user: 'machine-0' }, secrets),
        ).rejects.toMatchObject({ code: 'mongo-auth-failed' });
      } finally {
        await tunnel.close();
      }
    } finally {
      await otherManager.close();
      await otherSandbox.stop();
      await fs.rm(otherHome, { recursive: true, force: true });
    }
  });
});
