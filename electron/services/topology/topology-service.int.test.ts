import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import type { Topology } from '../../../shared/model/topology';
import type { TopologySnapshot } from '../../../shared/model/topology-snapshot';
import { SecretRegistry } from '../../../shared/redact';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { ConnectionManager } from '../connection/connection-manager';
import { targetForSandbox } from '../environments/targets';
import { createMemoryLogger } from '../log';
import { connectionTopologySource } from './connection-source';
import { createTopologyService, type TopologyService } from './topology-service';

/**
 * The live topology against the real sandbox: SSH with host keys checked,
 * the official driver through SSH tunnels, juju-db elections. Powering
 * machines off must show up as failover, then quorum loss, then recovery.
 */

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let service: TopologyService;
const published: { at: number; snapshot: TopologySnapshot }[] = [];

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-topology-'));
  sandbox = await startSandbox({ home, ...testMongoProfile() });
  const secrets = new SecretRegistry();
  const logger = createMemoryLogger(secrets);
  manager = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 200, maxMs: 1000 } });
  const connection = manager.open(targetForSandbox(sandbox.describe()));
  service = createTopologyService({
    openSource: async () => connectionTopologySource(connection),
    publish: (snapshot) => published.push({ at: Date.now(), snapshot }),
    log: logger,
    intervalMs: 1000,
  });
  service.select('sandbox');
  service.watch('test', true);
});

afterAll(async () => {
  await service?.close();
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

/** Waits for a published topology that satisfies `test`; returns it and how long it took. */
async function published_(test: (t: Topology) => boolean, timeoutMs: number): Promise<{ topology: Topology; ms: number }> {
  const started = Date.now();
  for (;;) {
    const t = service.snapshot().topology;
    if (t !== null && test(t)) return { topology: t, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) {
      throw new Error(`no matching topology within ${timeoutMs} ms; last: ${JSON.stringify(service.snapshot(), null, 1).slice(0, 3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stateServers = (t: Topology) => t.machines.filter((m) => m.isStateServer);

describe('live topology of the sandbox', () => {
  it('shows three state servers has-vote, exactly one primary, and the workload machines', async () => {
    const { topology: t } = await published_((t) => t.primary !== null && t.quorum.healthyVoters === 3, 60_000);
    expect(service.snapshot().status).toBe('ready');
    expect(stateServers(t).map((m) => [m.id, m.voteStatus])).toEqual([
      ['0', 'has-vote'],
      ['1', 'has-vote'],
      ['2', 'has-vote'],
    ]);
    expect(t.machines.filter((m) => m.isPrimary)).toHaveLength(1);
    expect(t.machines.length).toBeGreaterThan(3);
    const zero = t.machines.find((m) => m.id === '0')!;
    expect(zero).toMatchObject({ address: '10.23.0.10', series: 'trusty', agentState: 'started', agentVersion: '1.25.6', reachable: true });
    expect(zero.hardware).toMatch(/^arch=amd64 cpu-cores=1 cpu-power=100 mem=1024M root-disk=20480M/);
    expect(zero.instanceId).toBeTruthy();
    expect(t.quorum.sentence).toBe('3 of 3 voting members healthy — survives 1 failure');
    expect(t.extraMembers).toEqual([]);
  });

  it('publishes only changes: a steady environment publishes nothing new', async () => {
    const count = published.length;
    const rounds = service.rounds;
    await new Promise((r) => setTimeout(r, 3500));
    expect(service.rounds - rounds).toBeGreaterThanOrEqual(2);
    expect(service.rounds - rounds).toBeLessThanOrEqual(5);
    // Lag may flicker by a second on a busy machine; anything else is a bug.
    const changes = published.slice(count).map((p) => p.snapshot.topology?.primary);
    expect(changes.every((p) => p === service.snapshot().topology?.primary)).toBe(true);
    expect(published.length - count).toBeLessThanOrEqual(2);
  });

  let firstDown = '';
  let secondDown = '';

  it('powering off the primary: within 10 s another member is primary and the machine shows down', async () => {
    firstDown = service.snapshot().topology!.primary!;
    await sandbox.powerOff(firstDown);
    const { topology: t, ms } = await published_((t) => t.primary !== null && t.primary !== firstDown && !t.machines.find((m) => m.id === firstDown)!.reachable, 10_000);
    const down = t.machines.find((m) => m.id === firstDown)!;
    expect(down).toMatchObject({ agentState: 'down', reachable: false, voteStatus: 'has-vote', isPrimary: false });
    expect(down.member?.healthy).toBe(false);
    expect(t.quorum).toMatchObject({ voting: 3, healthyVoters: 2, holds: true, survivesFailures: 0 });
    console.log(`failover shown after ${ms} ms`);
  });

  it('powering off a second voter: quorum lost, no primary, every machine still listed', async () => {
    secondDown = stateServers(service.snapshot().topology!).find((m) => m.id !== firstDown)!.id;
    await sandbox.powerOff(secondDown);
    const { topology: t, ms } = await published_((t) => !t.quorum.holds, 15_000);
    expect(t.primary).toBeNull();
    expect(t.quorum.sentence).toMatch(/^Quorum lost: 1 of 3 voting members healthy\./);
    expect(stateServers(t).map((m) => m.id)).toEqual(['0', '1', '2']);
    expect(t.machines.find((m) => m.id === secondDown)).toMatchObject({ agentState: 'down', reachable: false });
    console.log(`quorum loss shown after ${ms} ms`);
  });

  it('powering both on again: healthy, with a primary', async () => {
    await sandbox.powerOn(firstDown);
    await sandbox.powerOn(secondDown);
    // Agents re-ping as soon as there is a primary again (presence), so wait for that too.
    const { topology: t, ms } = await published_((t) => t.quorum.healthyVoters === 3 && t.primary !== null && stateServers(t).every((m) => m.agentState === 'started'), 30_000);
    expect(t.quorum.holds).toBe(true);
    expect(stateServers(t).every((m) => m.reachable && m.agentState === 'started' && m.voteStatus === 'has-vote')).toBe(true);
    console.log(`recovery shown after ${ms} ms`);
  });

  it('stops polling when the environment is switched away', async () => {
    service.select(null);
    const rounds = service.rounds;
    await new Promise((r) => setTimeout(r, 2500));
    expect(service.rounds).toBe(rounds);
    expect(service.snapshot().status).toBe('idle');
  });
});
