import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Document } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseReplSetStatus } from '../../../shared/model/replica-set';
import type { RunningSandbox } from '../running-sandbox';
import { startSandbox, type Sandbox } from '../sandbox';
import { isPrimary } from '../seed/seed-db';
import { eventually, openMemberClient, type MemberClient } from '../testing/member-client';
import { testMongoProfile } from '../testing/mongo-profile';
import type { SandboxDescription } from '../types';
import { MACHINES, readMachineStatuses, readMachines } from './juju-state';
import { configMembers } from './peergroup-plan';
import { destroyMachine, writeEnsureAvailability } from './testing/ensure-availability-writes';

/**
 * The sandbox as a Juju that scales: a 1-state-server sandbox, the documents
 * ensure-availability writes put straight into juju-db, and the provisioner
 * and peergroupers doing the rest, watched through Quorum's juju-db client
 * over SSH: pending → started, new members non-voting, then voting in pairs,
 * `hasvote`; 3 → 5; a state server powered off, demoted and swapped out, its
 * removal from the state servers and `remove-machine --force`; dying
 * machines removed once no unit is left.
 */

const profile = testMongoProfile();
const pairsAtOnce = (profile.mongo ?? '2.4') === '2.4';

let home: string;
let sandbox: Sandbox;
let key: string;
let admin: { username: string; password: string };
let env: { uuid: string; series: string };
let current: { id: string; client: MemberClient } | null = null;

interface Observed {
  readonly at: number;
  readonly version: number;
  /** Machine id → voting, from the config's juju-machine-id tags. */
  readonly voting: ReadonlyMap<string, boolean>;
  readonly hasVote: ReadonlyMap<string, boolean>;
  readonly statuses: ReadonlyMap<string, string>;
  readonly rs: ReturnType<typeof parseReplSetStatus>;
}

async function closePrimary(): Promise<void> {
  const c = current;
  current = null;
  await c?.client.close();
}

function describeNow(): SandboxDescription {
  return sandbox.describe();
}

/** A client to the primary (through SSH to its machine), kept between polls. */
async function primary(): Promise<MemberClient> {
  if (current !== null) {
    const ok = await isPrimary(current.client.client).catch(() => false);
    if (ok) return current.client;
    await current.client.close();
    current = null;
  }
  const d = describeNow();
  for (const m of d.machines.filter((x) => x.stateServer && x.powered && x.jujuDb === 'running')) {
    const c = await openMemberClient(m.ssh.port, key, d.environment.caCertPem, admin, 3_000).catch(() => null);
    if (c === null) continue;
    if (await isPrimary(c.client).catch(() => false)) {
      current = { id: m.id, client: c };
      return c;
    }
    await c.close();
  }
  throw new Error('no primary');
}

async function observe(): Promise<Observed> {
  const c = (await primary()).client;
  const config = await c.replSetGetConfig({ secondaryOk: false });
  const voting = new Map(configMembers(config).map((m) => [m.tags['juju-machine-id'] ?? '?', m.votes === undefined || m.votes > 0]));
  const machines = await readMachines(c, env.uuid);
  const statuses = await readMachineStatuses(c, env.uuid, machines.map((m) => m.id));
  const rs = parseReplSetStatus(await c.command('admin', { replSetGetStatus: 1 }, { secondaryOk: false }));
  return { at: Date.now(), version: Number(config['version']), voting, hasVote: new Map(machines.map((m) => [m.id, m.hasVote])), statuses, rs };
}

/** Polls until `done` holds, recording every observation. */
async function watchUntil(done: (o: Observed) => boolean, timeoutMs: number): Promise<Observed[]> {
  const seen: Observed[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const o = await observe().catch(() => null);
    if (o !== null) {
      seen.push(o);
      if (done(o)) return seen;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out; last observation: ${JSON.stringify(seen.at(-1), (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))}`);
}

function voters(o: Observed): string[] {
  return [...o.voting].filter(([, v]) => v).map(([id]) => id).sort();
}

async function writeEa(n: number): ReturnType<typeof writeEnsureAvailability> {
  const powered = new Map(describeNow().machines.map((m) => [m.id, m.powered]));
  return writeEnsureAvailability((await primary()).client, env, n, (id) => powered.get(id) ?? false);
}

/** The checks every scale-up shares; returns ms from the write to all has-vote. */
async function expectScaleUp(n: number, before: readonly string[]): Promise<number> {
  const t0 = Date.now();
  const { intentions, newIds } = await writeEa(n);
  expect(intentions.maintain).toEqual(before);
  expect(newIds).toHaveLength(n - before.length);
  const all = [...before, ...newIds];
  const seen = await watchUntil((o) => all.every((id) => o.voting.get(id) === true && o.hasVote.get(id) === true), 30_000);
  const elapsed = Date.now() - t0;
  const last = seen.at(-1)!;
  // pending → started, seen in order.
  for (const id of newIds) {
    const firstStarted = seen.findIndex((o) => o.statuses.get(id) === 'started');
    expect(seen.findIndex((o) => o.statuses.get(id) === 'pending'), `machine ${id} pending first`).toBeLessThan(firstStarted);
    expect(firstStarted).toBeGreaterThanOrEqual(0);
    const startedAt = seen[firstStarted]!.at - t0;
    expect(startedAt, `machine ${id} started after the provisioning delay`).toBeGreaterThanOrEqual(2_500);
  }
  // New members joined non-voting first; then one reconfig gave both their votes (2.4), or one per
  // reconfig (the 6.0 profile's one-voter rule), and the voter count seen was never even on 2.4.
  const lastNonVoting = seen.findLast((o) => newIds.every((id) => o.voting.get(id) === false));
  expect(lastNonVoting, 'the new members were seen non-voting').toBeDefined();
  const firstVoting = seen.find((o) => newIds.every((id) => o.voting.get(id) === true))!;
  expect(firstVoting.version - lastNonVoting!.version).toBe(pairsAtOnce ? 1 : newIds.length);
  if (pairsAtOnce) for (const o of seen) expect(voters(o).length % 2, `voters ${voters(o).join(',')} at v${o.version}`).toBe(1);
  expect(voters(last)).toEqual([...all].sort());
  // The replica set: every member healthy, one primary.
  const rs = await watchUntil((o) => o.rs.members.length === n && o.rs.members.every((m) => m.health === 1 && (m.state === 'PRIMARY' || m.state === 'SECONDARY')), 10_000);
  expect(rs.at(-1)!.rs.members.filter((m) => m.state === 'PRIMARY')).toHaveLength(1);
  const d = describeNow();
  for (const id of newIds) expect(d.machines.find((m) => m.id === id)).toMatchObject({ stateServer: true, powered: true, jujuDb: 'running', jobs: ['JobHostUnits', 'JobManageEnviron'] });
  return elapsed;
}

async function jenvStateServers(): Promise<string[]> {
  const doc = YAML.parse(await fs.readFile(describeNow().jenvPath!, 'utf8')) as { 'state-servers': string[] };
  return doc['state-servers'];
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-ha-'));
  sandbox = await startSandbox({ home, ...profile, machines: { stateServers: 1, workloads: 1 } });
  const d = sandbox.describe();
  key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
  const record = JSON.parse(await fs.readFile(path.join(d.dir, 'environment.json'), 'utf8')) as { adminPassword: string; uuid: string; series: string };
  admin = { username: 'admin', password: record.adminPassword };
  env = { uuid: record.uuid, series: record.series };
});

afterAll(async () => {
  await closePrimary();
  await sandbox?.stop();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe('the sandbox scales like Juju 1.25', () => {
  it('starts with the chosen shape and a .jenv for it', async () => {
    const d = describeNow();
    expect(d.machines.map((m) => [m.id, m.stateServer])).toEqual([
      ['0', true],
      ['1', false],
    ]);
    expect(d.jenvPath).toBe(path.join(d.dir, 'environments', 'sandbox.jenv'));
    expect((await fs.stat(d.jenvPath!)).mode & 0o777).toBe(0o600);
    const jenv = YAML.parse(await fs.readFile(d.jenvPath!, 'utf8')) as Record<string, unknown>;
    expect(jenv).toMatchObject({ user: 'admin', 'environ-uuid': env.uuid, 'state-servers': ['10.23.0.10:17070'], 'ca-cert': d.environment.caCertPem });
    expect(String(jenv['password'])).toHaveLength(24);
  });

  it('1 → 3: two machines provisioned, added non-voting, then both voting', async () => {
    const ms = await expectScaleUp(3, ['0']);
    console.log(`1 → 3: documents written → all has-vote in ${ms} ms`);
    expect(await eventually(async () => ((await jenvStateServers()).length === 3 ? true : undefined), 5_000, 'the .jenv to list 3 state servers')).toBe(true);
    expect(await jenvStateServers()).toEqual(['10.23.0.10:17070', '10.23.0.12:17070', '10.23.0.13:17070']);
    const hostPorts = await (await primary()).client.findOne({ db: 'juju', collection: 'stateServers' }, { _id: 'apiHostPorts' });
    expect((hostPorts?.['apihostports'] as Document[][]).map((l) => l.map((hp) => `${hp['value']}:${hp['port']}`))).toEqual([['10.23.0.10:17070'], ['10.23.0.12:17070'], ['10.23.0.13:17070']]);
  });

  it('3 → 5 likewise', async () => {
    const ms = await expectScaleUp(5, ['0', '2', '3']);
    console.log(`3 → 5: documents written → all has-vote in ${ms} ms`);
  });

  it('a state server powered off and demoted: a replacement, then the votes swapped in one pair', async () => {
    const p = current!.id;
    const victim = ['2', '3', '4', '5'].find((id) => id !== p)!;
    const running = () => (sandbox as RunningSandbox).agents.peergrouperMachines();
    expect(running()).toContain(victim);
    await sandbox.powerOff(victim);
    // Its machine agent is down: so is its peergrouper.
    expect(running()).not.toContain(victim);
    const { intentions, newIds } = await writeEa(0);
    expect(intentions.demote).toEqual([victim]);
    expect(newIds).toEqual(['6']);
    const seen = await watchUntil((o) => o.voting.get('6') === true && o.hasVote.get('6') === true && o.hasVote.get(victim) === false, 30_000);
    // 6 joined non-voting, then the swap: on 2.4 the config that gave 6 its vote took the victim's
    // away (never 6 voters, never 4); on 6.0 the two changes are consecutive reconfigs.
    const joined = seen.findLast((o) => o.voting.get('6') === false && o.voting.get(victim) === true);
    expect(joined, 'machine 6 was seen as a non-voting member').toBeDefined();
    const swap = seen.find((o) => o.voting.get('6') === true && o.voting.get(victim) === false)!;
    expect(swap.version - joined!.version).toBe(pairsAtOnce ? 1 : 2);
    if (pairsAtOnce) for (const o of seen) expect(voters(o)).toHaveLength(5);
    expect(voters(seen.at(-1)!)).toHaveLength(5);
  });

  it('ensure-availability again removes the failed machine from the state servers, and its member from the set', async () => {
    const victim = describeNow().machines.find((m) => m.stateServer && !m.powered)!.id;
    const { intentions } = await writeEa(0);
    expect(intentions.remove).toEqual([victim]);
    const o = await watchUntil((x) => !x.voting.has(victim), 10_000);
    expect(voters(o.at(-1)!)).toHaveLength(5);
  });

  it('remove-machine --force on it: the machine stops and its documents go', async () => {
    const victim = describeNow().machines.find((m) => !m.powered)!.id;
    await destroyMachine((await primary()).client, env.uuid, victim, true);
    await eventually(async () => (describeNow().machines.some((m) => m.id === victim) ? undefined : true), 10_000, `machine ${victim} to be gone`);
    const doc = await eventually(async () => {
      const d = await (await primary()).client.findOne(MACHINES, { machineid: victim });
      return d === null ? true : undefined;
    }, 10_000);
    expect(doc).toBe(true);
  });

  it('a dying machine goes once no unit is left on it; one with units stays', async () => {
    const added = await sandbox.addMachine({ jobs: ['JobHostUnits'], register: true });
    const c = (await primary()).client;
    await destroyMachine(c, env.uuid, '1', false);
    await destroyMachine(c, env.uuid, added.id, false);
    await eventually(async () => (describeNow().machines.some((m) => m.id === added.id) ? undefined : true), 10_000, `machine ${added.id} to be removed`);
    const one = await (await primary()).client.findOne(MACHINES, { machineid: '1' });
    expect(one?.['life']).toBe(1);
    expect(describeNow().machines.some((m) => m.id === '1')).toBe(true);
  });

  it('a replacement machine takes a given id (the restore\'s new bootstrap machine): only once the old one is off', async () => {
    const old = describeNow().machines.find((m) => m.id === '1')!;
    await expect(sandbox.addMachine({ id: '1', jobs: ['JobHostUnits', 'JobManageEnviron'] })).rejects.toThrow(/still running; power it off/);
    await sandbox.powerOff('1');
    const fresh = await sandbox.addMachine({ id: '1', jobs: ['JobHostUnits', 'JobManageEnviron'] });
    expect(fresh).toMatchObject({ id: '1', address: '10.23.0.11', stateServer: true, powered: true, jujuDb: 'running' });
    expect(fresh.hostKeyFingerprint).not.toBe(old.hostKeyFingerprint);
    expect(fresh.instanceId).not.toBe(old.instanceId);
    expect(describeNow().machines.filter((m) => m.id === '1')).toHaveLength(1);
    // Its juju-db member runs with no replica-set config (2.4: EMPTYCONFIG; 6.0: NotYetInitialized).
    const c = await openMemberClient(fresh.ssh.port, key, describeNow().environment.caCertPem, admin, 3_000);
    try {
      expect(await isPrimary(c.client)).toBe(false);
      await expect(c.client.command('admin', { replSetGetStatus: 1 })).rejects.toThrow(/EMPTYCONFIG|no replset config/);
    } finally {
      await c.close();
    }
  });

  it('a machine still being provisioned when the sandbox stops finishes its start after a restart', async () => {
    await closePrimary();
    await sandbox.stop();
    sandbox = await startSandbox({ home, agents: { provisionDelayMs: 60_000 } });
    const { newIds } = await writeEa(7);
    expect(newIds).toHaveLength(2);
    await eventually(async () => (newIds.every((id) => describeNow().machines.some((m) => m.id === id)) ? true : undefined), 10_000, 'the new machines to exist');
    await closePrimary();
    await sandbox.stop();
    sandbox = await startSandbox({ home, agents: { provisionDelayMs: 3_000 } });
    // Still pending after the restart (agents held back), then started and voting.
    const first = await observe();
    for (const id of newIds) expect(first.statuses.get(id)).toBe('pending');
    const seen = await watchUntil((o) => newIds.every((id) => o.voting.get(id) === true && o.hasVote.get(id) === true), 20_000);
    expect(voters(seen.at(-1)!)).toHaveLength(7);
  });
});
