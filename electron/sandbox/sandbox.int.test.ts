import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoProfile } from './testing/mongo-profile';
import { renderRemoteCommand } from '../../shared/remote-commands';
import { JOB_CODES, type MachineJob } from './model';
import { startSandbox, type Sandbox } from './sandbox';
import type { Namespace } from '../services/mongo/juju-db-client';
import { countDocuments, eventually, openMemberClient, type MemberClient } from './testing/member-client';
import { connectSsh } from './testing/ssh-client';
import { parseAgentConf } from './tree/agent-conf';
import type { SandboxDescription } from './types';

/**
 * The whole sandbox: real SSH, Quorum's juju-db client through SSH tunnels
 * to the juju-db members (on the default 2.4 sandbox the legacy client, on
 * the 6.0 profile the driver), Juju's documents against the hosts'
 * agent.conf, failover and quorum loss by powering machines off,
 * persistence.
 */

const juju = (collection: string): Namespace => ({ db: 'juju', collection });

let home: string;
let sandbox: Sandbox;
let d: SandboxDescription;
let key: string;
const confs = new Map<string, Record<string, unknown>>();

async function readAgentConf(id: string): Promise<Record<string, unknown>> {
  const m = d.machines.find((x) => x.id === id)!;
  const ssh = await connectSsh(m.ssh.port, key, { expectFingerprint: m.hostKeyFingerprint });
  const r = await ssh.exec(renderRemoteCommand({ kind: 'read-file', path: `/var/lib/juju/agents/machine-${id}/agent.conf` }));
  ssh.end();
  expect(r.code).toBe(0);
  return parseAgentConf(r.stdout.toString());
}

function admin(): { username: string; password: string } {
  return { username: 'admin', password: String(confs.get('0')!.oldpassword) };
}

async function member(id: string, auth = admin()): Promise<MemberClient> {
  const m = d.machines.find((x) => x.id === id)!;
  return openMemberClient(m.ssh.port, key, d.environment.caCertPem, auth);
}

async function status(id: string): Promise<{ members: Array<{ name: string; stateStr: string; health: number }> }> {
  const c = await member(id);
  try {
    return (await c.client.command('admin', { replSetGetStatus: 1 })) as never;
  } finally {
    await c.close();
  }
}

function machineOfHost(host: string): string {
  return d.machines.find((m) => `${m.address}:37017` === host)!.id;
}

async function primaryOf(ids: readonly string[]): Promise<string | undefined> {
  for (const id of ids) {
    const s = await status(id).catch(() => undefined);
    const p = s?.members.find((x) => x.stateStr === 'PRIMARY');
    if (p) return machineOfHost(p.name);
  }
  return undefined;
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-sandbox-'));
  sandbox = await startSandbox({ home, ...testMongoProfile() });
  d = sandbox.describe();
  key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
  for (const m of d.machines) confs.set(m.id, await readAgentConf(m.id));
  console.log(`first creation of a 5-machine sandbox: ${sandbox.startInfo.totalMs} ms`, sandbox.startInfo.phases);
});

afterAll(async () => {
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('sandbox environment', () => {
  it('describes five machines, three voting state servers', async () => {
    expect(d.environment.name).toBe('sandbox');
    expect(d.environment.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.environment.caCertPem).toContain('BEGIN CERTIFICATE');
    expect(d.ssh).toMatchObject({ user: 'ubuntu', privateKeyPath: path.join(home, 'sandbox', 'ssh', 'juju_id_rsa') });
    expect((await fs.stat(d.ssh.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(d.machines.map((m) => [m.id, m.address, m.stateServer, m.powered, m.jujuDb])).toEqual([
      ['0', '10.23.0.10', true, true, 'running'],
      ['1', '10.23.0.11', true, true, 'running'],
      ['2', '10.23.0.12', true, true, 'running'],
      ['3', '10.23.0.13', false, true, null],
      ['4', '10.23.0.14', false, true, null],
    ]);
    for (const m of d.machines) {
      expect(m.ssh.host).toBe('127.0.0.1');
      expect(m.ssh.port).toBeGreaterThan(0);
      expect(m.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
    expect(new Set(d.machines.map((m) => m.hostKeyFingerprint)).size).toBe(5);
  });

  it('reaches every member with Quorum\'s client through SSH tunnels, TLS and auth as admin and machine-N', async () => {
    for (const id of ['0', '1', '2']) {
      const conf = confs.get(id)!;
      for (const auth of [admin(), { username: `machine-${id}`, password: String(conf.statepassword) }]) {
        const c = await member(id, auth);
        const isMaster = await c.client.command('admin', { isMaster: 1 });
        expect(isMaster['setName']).toBe('juju');
        expect(isMaster['me']).toBe(`10.23.0.1${id}:37017`);
        await c.close();
      }
    }
    await expect(member('0', { username: 'admin', password: 'wrong-password' })).rejects.toMatchObject({ code: 'mongo-auth-failed' });
    const s = await status('0');
    expect(s.members.map((m) => m.name).sort()).toEqual(['10.23.0.10:37017', '10.23.0.11:37017', '10.23.0.12:37017']);
    expect(s.members.filter((m) => m.stateStr === 'PRIMARY')).toHaveLength(1);
  });

  it('seeds Juju documents that agree with the hosts', async () => {
    const c = await member((await primaryOf(['0', '1', '2']))!);
    try {
      const machines = await c.client.find(juju('machines'), {}, { sort: { machineid: 1 } }).toArray();
      expect(machines.map((m) => m['machineid'])).toEqual(['0', '1', '2', '3', '4']);
      for (const m of machines) {
        const conf = confs.get(m.machineid as string)!;
        const desc = d.machines.find((x) => x.id === m.machineid)!;
        expect(m._id).toBe(`${d.environment.uuid}:${m.machineid}`);
        expect(m['env-uuid']).toBe(d.environment.uuid);
        expect(conf.environment).toBe(`environment-${d.environment.uuid}`);
        expect(m.nonce).toBe(conf.nonce);
        expect(m.jobs).toEqual((conf.jobs as MachineJob[]).map((j) => JOB_CODES[j]));
        expect(m.addresses[0].value).toBe(desc.address);
        expect(m.instanceid).toBe(desc.instanceId);
        expect(m.life).toBe(0);
        expect(m.hasvote).toBe(desc.stateServer);
        expect(m.novote).toBe(!desc.stateServer);
      }
      const ss = await c.client.findOne(juju('stateServers'), { _id: 'e' });
      expect(ss).toMatchObject({ machineids: ['0', '1', '2'], votingmachineids: ['0', '1', '2'] });
      const apiAddresses = ['0', '1', '2'].map((id) => `10.23.0.1${id}:17070`);
      for (const conf of confs.values()) expect(conf.apiaddresses).toEqual(apiAddresses);
      expect(await countDocuments(c.client, juju('instanceData'))).toBe(5);
      expect(await countDocuments(c.client, juju('services'))).toBe(2);
      expect(await countDocuments(c.client, juju('units'))).toBe(3);
      expect(await c.client.findOne(juju('environments'), { _id: d.environment.uuid })).toMatchObject({ name: 'sandbox' });
      // The indexes the seed creates (on 2.4 through system.indexes).
      const indexes = (await c.client.listIndexes(juju('units'))).map((x) => x['key'] as Record<string, unknown>);
      expect(indexes).toEqual(expect.arrayContaining([{ 'env-uuid': 1, service: 1 }, { 'env-uuid': 1, machineid: 1 }]));
      expect((await c.client.listIndexes(juju('machines'))).map((x) => x['key'])).toContainEqual({ 'env-uuid': 1 });
      const dbs = (await c.client.listDatabases()).map((x) => x.name);
      expect(dbs).toEqual(expect.arrayContaining(['juju', 'presence', 'backups']));
      const backups = await c.client.listCollections('backups');
      expect(backups.map((x) => x.name)).toContain('metadata');
      expect(await countDocuments(c.client, { db: 'backups', collection: 'metadata' })).toBe(0);
      const config = await c.client.replSetGetConfig();
      expect(config['_id']).toBe('juju');
      expect((config['members'] as Array<{ _id: number; host: string; tags: Record<string, string> }>).map((m) => [m._id, m.host, m.tags['juju-machine-id']])).toEqual([
        [1, '10.23.0.10:37017', '0'],
        [2, '10.23.0.11:37017', '1'],
        [3, '10.23.0.12:37017', '2'],
      ]);
    } finally {
      await c.close();
    }
  });

  it('elects a new primary when the primary machine is powered off, and recovers on power on', async () => {
    const primary = (await primaryOf(['0', '1', '2']))!;
    const others = ['0', '1', '2'].filter((x) => x !== primary);
    const port = d.machines.find((m) => m.id === primary)!.ssh.port;
    const open = await connectSsh(port, key);
    const dropped = new Promise<void>((resolve) => open.client.once('close', () => resolve()));
    await sandbox.powerOff(primary);
    await dropped;
    await expect(connectSsh(port, key)).rejects.toThrow(/ECONNREFUSED/);
    expect(sandbox.describe().machines.find((m) => m.id === primary)).toMatchObject({ powered: false, jujuDb: 'stopped' });
    const next = await eventually(() => primaryOf(others), 20_000, 'a new primary');
    expect(others).toContain(next);
    await sandbox.powerOn(primary);
    expect(sandbox.describe().machines.find((m) => m.id === primary)).toMatchObject({ powered: true, jujuDb: 'running', ssh: { port } });
    await eventually(async () => {
      const s = await status(primary);
      return s.members.every((m) => m.health === 1) && s.members.some((m) => m.stateStr === 'PRIMARY') ? true : undefined;
    }, 20_000, 'a healthy replica set');
  });

  it('has no primary when two of three voters are off', async () => {
    await sandbox.powerOff('1');
    await sandbox.powerOff('2');
    await eventually(async () => {
      const s = await status('0');
      return s.members.every((m) => m.stateStr !== 'PRIMARY') ? true : undefined;
    }, 20_000, 'the primary to step down');
    await sandbox.powerOn('1');
    await sandbox.powerOn('2');
    await eventually(() => primaryOf(['0', '1', '2']), 20_000, 'a primary after power on');
  });

  it('marks a member unhealthy for the others and back', async () => {
    await sandbox.setMemberHealthy('2', false);
    await eventually(async () => {
      const s = await status('0');
      return s.members.find((m) => m.name === '10.23.0.12:37017')?.health === 0 ? true : undefined;
    }, 20_000, 'member 2 seen unhealthy');
    expect(sandbox.describe().machines[2]!.memberHealthy).toBe(false);
    await sandbox.setMemberHealthy('2', true);
    await eventually(async () => {
      const s = await status('0');
      return s.members.every((m) => m.health === 1) ? true : undefined;
    }, 20_000, 'member 2 healthy again');
  });

  it('refuses a connection after a host key rotation, showing both fingerprints', async () => {
    const m = sandbox.describe().machines.find((x) => x.id === '4')!;
    const fresh = await sandbox.rotateHostKey('4');
    expect(fresh).not.toBe(m.hostKeyFingerprint);
    expect(sandbox.describe().machines.find((x) => x.id === '4')!.hostKeyFingerprint).toBe(fresh);
    let seen = '';
    const err = await connectSsh(m.ssh.port, key, { expectFingerprint: m.hostKeyFingerprint }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const probe = await connectSsh(m.ssh.port, key);
    seen = probe.hostFingerprint;
    probe.end();
    expect(seen).toBe(fresh);
    d = sandbox.describe();
  });

  it('adds a workload machine with a fresh tree', async () => {
    const added = await sandbox.addMachine({ jobs: ['JobHostUnits'] });
    expect(added).toMatchObject({ id: '5', address: '10.23.0.15', stateServer: false, powered: true });
    d = sandbox.describe();
    const conf = await readAgentConf('5');
    expect(conf.tag).toBe('machine-5');
    expect(conf.jobs).toEqual(['JobHostUnits']);
  });

  it('refuses a second sandbox on the same home', async () => {
    await expect(startSandbox({ home })).rejects.toMatchObject({ code: 'busy' });
  });

  it('keeps identities, ports, host keys, power state and data across a restart', async () => {
    await sandbox.powerOff('3');
    const before = sandbox.describe();
    await sandbox.stop();
    sandbox = await startSandbox({ home, ...testMongoProfile() });
    console.log(`restart of a ${before.machines.length}-machine sandbox: ${sandbox.startInfo.totalMs} ms`, sandbox.startInfo.phases);
    expect(sandbox.startInfo.created).toBe(false);
    const after = sandbox.describe();
    expect(after.environment).toEqual(before.environment);
    expect(after.machines.map((m) => [m.id, m.ssh.port, m.hostKeyFingerprint, m.powered])).toEqual(
      before.machines.map((m) => [m.id, m.ssh.port, m.hostKeyFingerprint, m.powered]),
    );
    expect(after.machines.find((m) => m.id === '3')!.powered).toBe(false);
    await sandbox.powerOn('3');
    d = sandbox.describe();
    const primary = await eventually(() => primaryOf(['0', '1', '2']), 20_000, 'a primary after restart');
    const c = await member(primary);
    expect(await countDocuments(c.client, juju('machines'))).toBe(5);
    await c.close();
  });

  it('rebuilds everything on reset', async () => {
    const before = sandbox.describe();
    await sandbox.stop();
    sandbox = await startSandbox({ home, reset: true, ...testMongoProfile() });
    const after = sandbox.describe();
    expect(sandbox.startInfo.created).toBe(true);
    expect(after.environment.uuid).not.toBe(before.environment.uuid);
    expect(after.machines).toHaveLength(5);
  });

  it('adds a state server registered in juju-db, waiting for a vote (adding-vote)', async () => {
    d = sandbox.describe();
    key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
    for (const m of d.machines) confs.set(m.id, await readAgentConf(m.id));
    const added = await sandbox.addMachine({ jobs: ['JobManageEnviron', 'JobHostUnits'], register: true });
    expect(added).toMatchObject({ id: '5', stateServer: true, jujuDb: 'running' });
    d = sandbox.describe();
    const conf = await readAgentConf('5');
    expect(conf.stateport).toBe(37017);
    const primary = await eventually(() => primaryOf(['0', '1', '2']), 20_000, 'a primary');
    const c = await member(primary, { username: 'machine-5', password: String(conf.statepassword) });
    try {
      expect(await c.client.findOne(juju('machines'), { machineid: '5' })).toMatchObject({ jobs: [2, 1], novote: false, hasvote: false, nonce: conf.nonce });
      expect(await c.client.findOne(juju('stateServers'), { _id: 'e' })).toMatchObject({ machineids: ['0', '1', '2', '5'] });
    } finally {
      await c.close();
    }
    // Not in the replica set until an HA flow reconfigures it.
    const fresh = await member('5');
    const isMaster = await fresh.client.command('admin', { isMaster: 1 });
    expect(isMaster['ismaster']).toBe(false);
    await fresh.close();
  });
});
