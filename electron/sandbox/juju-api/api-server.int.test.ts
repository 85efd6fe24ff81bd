import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRemoteCommand } from '../../../shared/remote-commands';
import type { Namespace } from '../../services/mongo/juju-db-client';
import { startSandbox, type Sandbox } from '../sandbox';
import { openMemberClient, type MemberClient } from '../testing/member-client';
import { testMongoProfile } from '../testing/mongo-profile';
import { connectSsh } from '../testing/ssh-client';
import { parseAgentConf } from '../tree/agent-conf';
import type { SandboxDescription } from '../types';
import { ABOUT_TO_RESTORE_ERROR, RESTORE_IN_PROGRESS_ERROR } from './root';
import { connectApi, type ApiTestClient } from './test-client';

/**
 * The sandbox's Juju API server as Quorum reaches it: SSH `direct-tcpip` to
 * 127.0.0.1:17070 on a state server, TLS verified against the environment
 * CA for `juju-apiserver`, WebSocket JSON-RPC; results checked on the wire
 * and in juju-db.
 */

const juju = (collection: string): Namespace => ({ db: 'juju', collection });

interface Env {
  home: string;
  sandbox: Sandbox;
  d: SandboxDescription;
  key: string;
  adminPassword: string;
  confs: Map<string, Record<string, unknown>>;
}

async function start(): Promise<Env> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-juju-api-'));
  const sandbox = await startSandbox({ home, machines: { stateServers: 1, workloads: 1 }, ...testMongoProfile() });
  const d = sandbox.describe();
  const key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
  const adminPassword = (await fs.readFile(path.join(d.dir, 'pki', 'admin-password'), 'utf8')).trim();
  const confs = new Map<string, Record<string, unknown>>();
  for (const m of d.machines) {
    const ssh = await connectSsh(m.ssh.port, key);
    const r = await ssh.exec(renderRemoteCommand({ kind: 'read-file', path: `/var/lib/juju/agents/machine-${m.id}/agent.conf` }));
    ssh.end();
    confs.set(m.id, parseAgentConf(r.stdout.toString()));
  }
  return { home, sandbox, d, key, adminPassword, confs };
}

async function stop(env: Env | undefined): Promise<void> {
  await env?.sandbox.stop();
  if (env) await fs.rm(env.home, { recursive: true, force: true });
}

function api(env: Env, machineId = '0', apiPath?: string): Promise<ApiTestClient> {
  const m = env.d.machines.find((x) => x.id === machineId)!;
  return connectApi({ sshPort: m.ssh.port, privateKey: env.key, caPem: env.d.environment.caCertPem, path: apiPath ?? `/environment/${env.d.environment.uuid}/api` });
}

async function adminApi(env: Env): Promise<ApiTestClient> {
  const c = await api(env);
  const r = await c.call('Admin', 2, 'Login', { 'auth-tag': 'user-admin', credentials: env.adminPassword, nonce: '' });
  expect(r.Error).toBeUndefined();
  return c;
}

function db(env: Env): Promise<MemberClient> {
  const m = env.d.machines.find((x) => x.id === '0')!;
  return openMemberClient(m.ssh.port, env.key, env.d.environment.caCertPem, { username: 'admin', password: String(env.confs.get('0')!.oldpassword) });
}

const ensure = (c: ApiTestClient, env: Env, n: number, extra: Record<string, unknown> = {}) =>
  c.call('HighAvailability', 1, 'EnsureAvailability', { Specs: [{ EnvironTag: `environment-${env.d.environment.uuid}`, 'num-state-servers': n, ...extra }] });

const specError = (message: string, code = '') => ({ Results: [{ Result: {}, Error: { Message: message, Code: code } }] });

describe('Juju API server: login, errors, blocks, placement, restore', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => stop(env));

  it('logs the admin in with Admin v2 over TLS verified for juju-apiserver', async () => {
    const c = await api(env);
    const r = await c.call('Admin', 2, 'Login', { 'auth-tag': 'user-admin', credentials: env.adminPassword, nonce: '' });
    const uuid = env.d.environment.uuid;
    expect(r).toMatchObject({ RequestId: 1, Response: { 'environ-tag': `environment-${uuid}`, 'server-tag': `environment-${uuid}`, 'server-version': '1.25.6' } });
    const res = r.Response as Record<string, unknown>;
    expect(res['user-info']).toEqual({ 'display-name': '', identity: 'user-admin' });
    expect(res['servers']).toEqual([[{ Value: '10.23.0.10', Type: 'ipv4', NetworkName: '', Scope: 'local-cloud', Port: 17070 }]]);
    expect(res['facades']).toEqual(expect.arrayContaining([{ Name: 'Admin', Versions: [0, 1, 2] }, { Name: 'HighAvailability', Versions: [1] }, { Name: 'Client', Versions: [0] }, { Name: 'Pinger', Versions: [0] }]));
    expect(await c.call('Pinger', 0, 'Ping')).toEqual({ RequestId: 2, Response: {} });
    expect(await c.call('Admin', 2, 'Login', { 'auth-tag': 'user-admin', credentials: env.adminPassword })).toEqual({ RequestId: 3, Error: 'already logged in', Response: {} });
    await c.close();
    // A later login reports the previous one.
    const again = await api(env);
    const r2 = await again.call('Admin', 1, 'Login', { 'auth-tag': 'user-admin', credentials: env.adminPassword, nonce: '' });
    expect((r2.Response as { 'user-info': { 'last-connection'?: string } })['user-info']['last-connection']).toMatch(/^\d{4}-\d\d-\d\dT/);
    await again.close();
  });

  it('fails TLS verification for a name the certificate does not carry', async () => {
    const m = env.d.machines.find((x) => x.id === '0')!;
    await expect(connectApi({ sshPort: m.ssh.port, privateKey: env.key, caPem: env.d.environment.caCertPem, path: '/', servername: 'example.com' })).rejects.toThrow(/altnames|Hostname/i);
  });

  it('answers wrong passwords, unknown users and calls before login with 1.25\'s errors', async () => {
    const c = await api(env);
    const bad = { Error: 'invalid entity name or password', ErrorCode: 'unauthorized access', Response: {} };
    expect(await c.call('Admin', 2, 'Login', { 'auth-tag': 'user-admin', credentials: 'wrong', nonce: '' })).toEqual({ RequestId: 1, ...bad });
    expect(await c.call('Admin', 2, 'Login', { 'auth-tag': 'user-bob', credentials: env.adminPassword, nonce: '' })).toEqual({ RequestId: 2, ...bad });
    expect(await c.call('Admin', 0, 'Login', { AuthTag: 'machine-0', Password: 'wrong', Nonce: '' })).toEqual({ RequestId: 3, ...bad });
    expect(await c.call('Admin', 2, 'Login', { 'auth-tag': 'admin', credentials: 'x' })).toEqual({ RequestId: 4, Error: '"admin" is not a valid tag', Response: {} });
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['1'] })).toEqual({ RequestId: 5, Error: 'unknown object type "Client"', ErrorCode: 'not implemented', Response: {} });
    expect(await ensure(c, env, 3)).toEqual({ RequestId: 6, Error: 'unknown version (1) of interface "HighAvailability"', ErrorCode: 'not implemented', Response: {} });
    expect(await c.call('Admin', 3, 'Login', {})).toEqual({ RequestId: 7, Error: 'no such request - method Admin(3).Login is not implemented', ErrorCode: 'not implemented', Response: {} });
    expect(await c.call('Pinger', 0, 'Ping')).toEqual({ RequestId: 8, Error: 'unknown object type "Pinger"', ErrorCode: 'not implemented', Response: {} });
    await c.close();
  });

  it('logs machine agents in with their apipassword and nonce (v0 result shape), and keeps users\' facades from them', async () => {
    const conf = env.confs.get('0')!;
    const c = await api(env);
    const r = await c.call('Admin', 0, 'Login', { AuthTag: 'machine-0', Password: conf.apipassword, Nonce: conf.nonce });
    expect(Object.keys(r.Response as object).sort()).toEqual(['EnvironTag', 'Facades', 'LastConnection', 'Servers']);
    expect(r.Response).toMatchObject({ EnvironTag: `environment-${env.d.environment.uuid}`, LastConnection: null });
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['1'] })).toEqual({ RequestId: 2, Error: 'permission denied', ErrorCode: 'unauthorized access', Response: {} });
    expect(await c.call('Client', 0, 'Nope')).toEqual({ RequestId: 3, Error: 'no such request - method Client.Nope is not implemented', ErrorCode: 'not implemented', Response: {} });
    expect(await c.call('HighAvailability', 2, 'EnsureAvailability')).toMatchObject({ Error: 'unknown version (2) of interface "HighAvailability"', ErrorCode: 'not implemented' });
    await c.close();
    const wrongNonce = await api(env);
    expect(await wrongNonce.call('Admin', 1, 'Login', { 'auth-tag': 'machine-0', credentials: conf.apipassword, nonce: 'other' })).toMatchObject({ Error: 'machine 0 not provisioned', ErrorCode: 'not provisioned' });
    await wrongNonce.close();
  });

  it('refuses invalid counts with 1.25\'s exact messages', async () => {
    const c = await adminApi(env);
    expect((await ensure(c, env, 2)).Response).toEqual(specError('number of state servers must be odd and non-negative'));
    expect((await ensure(c, env, -1)).Response).toEqual(specError('number of state servers must be odd and non-negative'));
    expect((await ensure(c, env, 9)).Response).toEqual(specError('state server count is too large (allowed 7)'));
    const bad = (p: string) => ensure(c, env, 3, { placement: [p] }).then((r) => r.Response);
    expect(await bad('#:0')).toEqual(specError('failed to create new state server machines: machine for placement directive "#:0" is already a state server'));
    expect(await bad('#:9')).toEqual(specError('failed to create new state server machines: can\'t find machine for placement directive "#:9": machine 9 not found', 'not found'));
    expect(await bad('0/lxc/1')).toEqual(specError('failed to create new state server machines: container placement directives not supported'));
    expect(await bad('lxc:1')).toEqual(specError('failed to create new state server machines: unsupported placement directive "lxc:1"'));
    await c.close();
  });

  it('refuses DestroyMachines of a state server, and of unknown machines', async () => {
    const c = await adminApi(env);
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['0'], Force: false })).toEqual({ RequestId: 2, Error: 'no machines were destroyed: machine 0 is required by the environment', Response: {} });
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['0', '7'], Force: true })).toMatchObject({ Error: 'no machines were destroyed: machine 0 is required by the environment; machine 7 does not exist' });
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['1'] })).toMatchObject({ Error: 'no machines were destroyed: machine 1 has unit "mysql/0" assigned' });
    await c.close();
  });

  it('juju block all-changes: stored in juju.blocks, EnsureAvailability and DestroyMachines answer "operation is blocked"', async () => {
    const c = await adminApi(env);
    expect(await c.call('Block', 1, 'SwitchBlockOn', { type: 'BlockChange', message: 'change freeze' })).toEqual({ RequestId: 2, Response: { Error: null } });
    const m = await db(env);
    const blocks = await m.client.find(juju('blocks'), {}).toArray();
    expect(blocks).toEqual([{ _id: `${env.d.environment.uuid}:0`, 'env-uuid': env.d.environment.uuid, tag: `environment-${env.d.environment.uuid}`, type: 2, message: 'change freeze', 'txn-revno': 2 }]);
    await m.close();
    expect((await ensure(c, env, 3)).Response).toEqual(specError('change freeze', 'operation is blocked'));
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['1'], Force: false })).toMatchObject({ Error: 'change freeze', ErrorCode: 'operation is blocked' });
    expect(await c.call('Block', 1, 'SwitchBlockOn', { type: 'BlockChange' })).toMatchObject({ Response: { Error: { Message: 'block BlockChange is already ON', Code: '' } } });
    expect(await c.call('Block', 1, 'SwitchBlockOff', { type: 'BlockChange' })).toMatchObject({ Response: { Error: null } });
    expect((await ensure(c, env, 2)).Response).toEqual(specError('number of state servers must be odd and non-negative'));
    await c.close();
  });

  it('--to an existing workload machine converts it; then the count cannot be reduced', async () => {
    const c = await adminApi(env);
    const r = await ensure(c, env, 3, { placement: ['#:1'] });
    expect(r.Response).toEqual({ Results: [{ Result: { maintained: ['machine-0'], converted: ['machine-1'], added: ['machine-2'] }, Error: null }] });
    const m = await db(env);
    const uuid = env.d.environment.uuid;
    expect(await m.client.findOne(juju('stateServers'), { _id: 'e' })).toMatchObject({ machineids: ['0', '1', '2'], votingmachineids: ['0', '1', '2'] });
    expect(await m.client.findOne(juju('machines'), { _id: `${uuid}:1` })).toMatchObject({ jobs: [1, 2], novote: false });
    expect(await m.client.findOne(juju('machines'), { _id: `${uuid}:2` })).toMatchObject({ jobs: [1, 2], novote: false, hasvote: false, life: 0, series: 'trusty', nonce: '' });
    await m.close();
    expect((await ensure(c, env, 1)).Response).toEqual(specError('failed to create new state server machines: cannot reduce state server count'));
    await c.close();
  });

  it('serves the restricted roots of a restore from juju.restoreInfo', async () => {
    const m = await db(env);
    await m.client.insert(juju('restoreInfo'), [{ _id: 'current', status: 'PENDING' }]);
    const c = await adminApi(env);
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['1'] })).toEqual({ RequestId: 2, Error: ABOUT_TO_RESTORE_ERROR, Response: {} });
    expect(await c.call('Pinger', 0, 'Ping')).toMatchObject({ Error: ABOUT_TO_RESTORE_ERROR });
    expect(await c.call('Client', 0, 'Nope')).toMatchObject({ ErrorCode: 'not implemented' });
    const agent = await api(env);
    const conf1 = env.confs.get('1')!;
    expect(await agent.call('Admin', 2, 'Login', { 'auth-tag': 'machine-1', credentials: conf1.apipassword, nonce: conf1.nonce })).toEqual({
      RequestId: 1,
      Error: 'login for "machine-1" blocked because restore is in progress',
      Response: {},
    });
    await agent.close();
    await m.client.update(juju('restoreInfo'), { _id: 'current' }, { $set: { status: 'RESTORING' } });
    const during = await adminApi(env);
    expect(await during.call('Pinger', 0, 'Ping')).toEqual({ RequestId: 2, Error: RESTORE_IN_PROGRESS_ERROR, Response: {} });
    await m.client.remove(juju('restoreInfo'), { _id: 'current' });
    await Promise.all([c.close(), during.close(), m.close()]);
  });
});

describe('Juju API server: ensure-availability 1 → 3 and power', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => stop(env));

  it('adds two machines and writes the documents Juju\'s transaction writes', async () => {
    const c = await adminApi(env);
    const r = await ensure(c, env, 3);
    expect(r.Response).toEqual({ Results: [{ Result: { maintained: ['machine-0'], added: ['machine-2', 'machine-3'] }, Error: null }] });
    const m = await db(env);
    const uuid = env.d.environment.uuid;
    expect(await m.client.findOne(juju('stateServers'), { _id: 'e' })).toMatchObject({ machineids: ['0', '2', '3'], votingmachineids: ['0', '2', '3'] });
    for (const id of ['2', '3']) {
      const { _id, ...doc } = (await m.client.findOne(juju('machines'), { _id: `${uuid}:${id}` }))!;
      expect(_id).toBe(`${uuid}:${id}`);
      expect(doc).toEqual({
        machineid: id,
        'env-uuid': uuid,
        nonce: '',
        series: 'trusty',
        containertype: '',
        principals: [],
        life: 0,
        jobs: [1, 2],
        novote: false,
        hasvote: false,
        passwordhash: '',
        clean: true,
        addresses: [],
        machineaddresses: [],
        supportedcontainersknown: false,
        'txn-revno': 2,
      });
      expect(await m.client.findOne(juju('instanceData'), { _id: `${uuid}:${id}` })).toBeNull();
      expect(await m.client.findOne(juju('statuses'), { _id: `${uuid}:m#${id}` })).toMatchObject({ status: 'pending', 'env-uuid': uuid });
    }
    expect(await m.client.findOne(juju('sequence'), { _id: `${uuid}:machine` })).toMatchObject({ name: 'machine', counter: 4 });
    await m.close();
    await c.close();
  });

  it('re-running while the new machines have no agent demotes them and adds more (LP 1384549), serialized', async () => {
    const [a, b] = await Promise.all([adminApi(env), adminApi(env)]);
    const [ra, rb] = await Promise.all([ensure(a, env, 0), ensure(b, env, 0)]);
    const results = [ra, rb].map((r) => (r.Response as { Results: { Result: Record<string, string[]> }[] }).Results[0]!.Result);
    // The first call demotes 2 and 3 and adds 4 and 5; the second sees that and demotes 4 and 5 in turn.
    expect(results).toContainEqual({ maintained: ['machine-0'], demoted: ['machine-2', 'machine-3'], added: ['machine-4', 'machine-5'] });
    expect(results).toContainEqual({ maintained: ['machine-0'], demoted: ['machine-4', 'machine-5'], added: ['machine-6', 'machine-7'], removed: ['machine-2', 'machine-3'] });
    await Promise.all([a.close(), b.close()]);
  });

  it('DestroyMachines --force marks a workload machine dead (the provisioner may already have removed it)', async () => {
    const c = await adminApi(env);
    expect(await c.call('Client', 0, 'DestroyMachines', { MachineNames: ['1'], Force: true })).toEqual({ RequestId: 2, Response: {} });
    const m = await db(env);
    const doc = await m.client.findOne(juju('machines'), { _id: `${env.d.environment.uuid}:1` });
    if (doc !== null) expect(doc).toMatchObject({ life: 2 });
    await m.close();
    await c.close();
  });

  it('powering the state server off drops its API connections; powering it on serves again', async () => {
    const c = await adminApi(env);
    const closed = new Promise<void>((resolve) => c.ws.once('close', () => resolve()));
    await env.sandbox.powerOff('0');
    await closed;
    await c.close();
    await env.sandbox.powerOn('0');
    env.d = env.sandbox.describe();
    const again = await adminApi(env);
    expect(await again.call('Pinger', 0, 'Ping')).toEqual({ RequestId: 2, Response: {} });
    await again.close();
  });
});
