import { describe, expect, it } from 'vitest';
import { syntheticInput, syntheticTopology } from './synthetic-topology';
import { buildTopology, diffTopology, markUnreachable, sameTopology, shareUnchanged, type Topology } from './topology';

function machine(topology: Topology, id: string) {
  const found = topology.machines.find((m) => m.id === id);
  if (!found) throw new Error(`no machine ${id}`);
  return found;
}

describe('buildTopology', () => {
  it('lists every machine with the fields of juju status -v', () => {
    const t = syntheticTopology({ machines: 5 });
    expect(t.machines.map((m) => m.id)).toEqual(['0', '1', '2', '3', '4']);
    expect(machine(t, '0')).toMatchObject({
      instanceId: 'i-00000000',
      instanceState: 'ACTIVE',
      address: '10.23.0.10',
      series: 'trusty',
      hardware: 'arch=amd64 cpu-cores=1 mem=1024M root-disk=20480M',
      agentState: 'started',
      agentVersion: '1.25.6',
      jobs: ['JobHostUnits', 'JobManageEnviron'],
      life: 'alive',
      isStateServer: true,
      voteStatus: 'has-vote',
      reachable: true,
      stale: false,
    });
    expect(machine(t, '3')).toMatchObject({ isStateServer: false, voteStatus: null, member: null, isPrimary: false });
  });

  it('maps members to machines by the juju-machine-id tag, and marks the primary', () => {
    const t = syntheticTopology({ primary: '1' });
    expect(t.primary).toBe('1');
    expect(machine(t, '1').isPrimary).toBe(true);
    expect(machine(t, '1').member).toMatchObject({ memberId: 2, host: '10.23.0.11:37017', state: 'PRIMARY', healthy: true, voting: true, isPrimary: true });
    expect(machine(t, '0').member).toMatchObject({ memberId: 1, state: 'SECONDARY', isPrimary: false });
    expect(t.machines.filter((m) => m.isPrimary)).toHaveLength(1);
    expect(t.quorum).toMatchObject({ voting: 3, healthyVoters: 3, holds: true, survivesFailures: 1 });
    expect(t.quorum.sentence).toBe('3 of 3 voting members healthy — survives 1 failure');
  });

  it('falls back to the member host when a member has no tag', () => {
    const input = syntheticInput();
    const members = input.replicaSet!.config.members.map((m) => ({ ...m, tags: {} }));
    const t = buildTopology({ ...input, replicaSet: { ...input.replicaSet!, config: { ...input.replicaSet!.config, members } } });
    expect(t.machines.slice(0, 3).map((m) => m.member?.memberId)).toEqual([1, 2, 3]);
    expect(t.extraMembers).toEqual([]);
    expect(t.primary).toBe('0');
  });

  it('lists members that match no machine as extra members, counted in quorum', () => {
    const input = syntheticInput();
    const rs = input.replicaSet!;
    const t = buildTopology({
      ...input,
      replicaSet: {
        config: { ...rs.config, members: [...rs.config.members, { id: 9, host: '10.99.0.1:37017', votes: 1, priority: 1, tags: {} }] },
        status: { ...rs.status, members: [...rs.status.members, { id: 9, name: '10.99.0.1:37017', state: 'SECONDARY', health: 1, optimeSeconds: null, self: false, message: null }] },
      },
    });
    expect(t.extraMembers.map((m) => m.host)).toEqual(['10.99.0.1:37017']);
    expect(t.quorum.voting).toBe(4);
  });

  it('shows a powered-off state server as down, keeps it listed, and marks the new primary', () => {
    const t = syntheticTopology({ down: ['0'], primary: '2' });
    const zero = machine(t, '0');
    expect(zero).toMatchObject({ agentState: 'down', agentStateInfo: '(started)', reachable: false, voteStatus: 'has-vote', isPrimary: false });
    expect(zero.member).toMatchObject({ state: 'DOWN', healthy: false, lagSeconds: null, message: 'Connection refused' });
    expect(t.primary).toBe('2');
    expect(t.quorum.sentence).toBe('2 of 3 voting members healthy — survives no further failure');
  });

  it('loses quorum (and the primary) when two of three voters are down', () => {
    const t = syntheticTopology({ down: ['0', '1'] });
    expect(t.primary).toBeNull();
    expect(t.quorum.holds).toBe(false);
    expect(t.quorum.sentence).toMatch(/^Quorum lost: 1 of 3 voting members healthy\./);
  });

  it('computes lag in whole seconds behind the primary', () => {
    const t = syntheticTopology({ lag: { '1': 4, '2': 0 } });
    expect(machine(t, '0').member?.lagSeconds).toBe(0);
    expect(machine(t, '1').member?.lagSeconds).toBe(4);
    expect(machine(t, '2').member?.lagSeconds).toBe(0);
  });

  it('shows vote status from the machine documents (adding-vote before the peergrouper acts)', () => {
    const input = syntheticInput({ machines: 5, stateServers: 3 });
    const machines = input.juju.machines.map((m) => (m.id === '3' ? { ...m, jobs: [...m.jobs, 'JobManageEnviron' as const] } : m.id === '2' ? { ...m, noVote: true } : m));
    const t = buildTopology({ ...input, juju: { ...input.juju, machines } });
    expect(machine(t, '3')).toMatchObject({ isStateServer: true, voteStatus: 'adding-vote', member: null, agentState: 'started', reachable: true });
    expect(machine(t, '2').voteStatus).toBe('removing-vote');
  });

  it('marks a machine down when its agent presence is gone', () => {
    const t = syntheticTopology({ agentsDown: ['4'] });
    expect(machine(t, '4')).toMatchObject({ agentState: 'down', agentStateInfo: '(started)', reachable: false });
    expect(machine(t, '3')).toMatchObject({ agentState: 'started', reachable: true });
  });

  it('applies presence as juju status does: every fact kept, the recorded status (and info) moved into the info', () => {
    const input = syntheticInput({ machines: 5 });
    const alive = new Map([['0', true], ['1', true], ['2', true], ['3', false], ['4', true]]);
    const statuses = input.juju.statuses.map((s) => (s.machineId === '3' ? { ...s, info: 'rebooting' } : s));
    const t = buildTopology({ ...input, juju: { ...input.juju, statuses, presence: alive } });
    const before = buildTopology(input);
    expect(machine(t, '3')).toEqual({ ...machine(before, '3'), agentState: 'down', agentStateInfo: '(started: rebooting)', reachable: false, agentPresent: false });
    expect(machine(t, '4')).toEqual({ ...machine(before, '4'), agentPresent: true });
    expect(machine(before, '4').agentPresent).toBeNull();
  });

  it('never shows a pending or dead machine down for its presence (1.25 processMachine)', () => {
    const input = syntheticInput({ machines: 5 });
    const gone = new Map(input.juju.machines.map((m) => [m.id, false]));
    const statuses = input.juju.statuses.filter((s) => s.machineId !== '3');
    const machines = input.juju.machines.map((m) => (m.id === '4' ? { ...m, life: 'dead' as const } : m));
    const t = buildTopology({ ...input, juju: { ...input.juju, statuses, machines, presence: gone } });
    expect(machine(t, '3')).toMatchObject({ agentState: 'pending', reachable: true });
    expect(machine(t, '4')).toMatchObject({ agentState: 'started', reachable: true });
    expect(machine(t, '0')).toMatchObject({ agentState: 'down', agentStateInfo: '(started)' });
  });

  it('keeps the recorded status when presence could not be read', () => {
    const input = syntheticInput({ machines: 5 });
    const t = buildTopology({ ...input, juju: { ...input.juju, presence: null } });
    expect(t.machines.every((m) => m.agentState === 'started')).toBe(true);
  });

  it('shows a machine without status yet as pending', () => {
    const input = syntheticInput();
    const t = buildTopology({ ...input, juju: { ...input.juju, statuses: [] } });
    expect(machine(t, '4').agentState).toBe('pending');
  });
});

describe('markUnreachable', () => {
  it('keeps every last known machine, marked stale; state servers show as down, no primary, quorum lost', () => {
    const before = syntheticTopology({ machines: 5 });
    const after = markUnreachable(before, '2025-06-15T15:07:00.000Z');
    expect(after.machines.map((m) => m.id)).toEqual(before.machines.map((m) => m.id));
    expect(after.machines.every((m) => m.stale && !m.reachable && !m.isPrimary)).toBe(true);
    expect(machine(after, '0')).toMatchObject({ agentState: 'down', agentStateInfo: '(started)', instanceId: 'i-00000000', address: '10.23.0.10' });
    expect(machine(after, '0').member?.state).toBe('UNKNOWN');
    expect(machine(after, '4')).toMatchObject({ agentState: 'started', address: '10.23.0.14' });
    expect(after.primary).toBeNull();
    expect(after.stale).toBe(true);
    expect(after.quorum.holds).toBe(false);
    expect(after.readFrom).toBeNull();
  });

  it('is stable: marking twice gives the same topology', () => {
    const once = markUnreachable(syntheticTopology(), 'a');
    expect(sameTopology(once, markUnreachable(once, 'b'))).toBe(true);
  });
});

describe('diffTopology, sameTopology and shareUnchanged', () => {
  it('ignores observedAt', () => {
    expect(sameTopology(syntheticTopology({ observedAt: 'x' }), syntheticTopology({ observedAt: 'y' }))).toBe(true);
  });

  it('names changed, added and removed machines, and summary changes', () => {
    const before = syntheticTopology({ machines: 5 });
    expect(diffTopology(null, before)).toEqual({ machines: ['0', '1', '2', '3', '4'], summary: true });
    const failover = syntheticTopology({ machines: 5, down: ['0'], primary: '1' });
    expect(diffTopology(before, failover)).toEqual({ machines: ['0', '1'], summary: true });
    const grown = syntheticTopology({ machines: 6 });
    expect(diffTopology(before, grown)).toEqual({ machines: ['5'], summary: true });
    expect(diffTopology(grown, before)).toEqual({ machines: ['5'], summary: true });
    const lagged = syntheticTopology({ machines: 5, lag: { '2': 3 } });
    expect(diffTopology(before, lagged)).toEqual({ machines: ['2'], summary: false });
  });

  it('reuses unchanged machine objects so memoized views skip them', () => {
    const before = syntheticTopology({ machines: 50 });
    const after = shareUnchanged(before, syntheticTopology({ machines: 50, lag: { '2': 3 } }));
    expect(after.machines[2]).not.toBe(before.machines[2]);
    expect(after.machines[2]?.member?.lagSeconds).toBe(3);
    expect(after.machines.filter((m, i) => m === before.machines[i])).toHaveLength(49);
    expect(after.quorum).toBe(before.quorum);
    expect(shareUnchanged(before, syntheticTopology({ machines: 50, observedAt: 'later' }))).toBe(before);
  });
});

describe('scale', () => {
  it('builds and diffs a 1,000-machine topology quickly', () => {
    const started = performance.now();
    const a = syntheticTopology({ machines: 1000, stateServers: 7 });
    const b = syntheticTopology({ machines: 1000, stateServers: 7, down: ['3'], primary: '0' });
    const diff = diffTopology(a, b);
    expect(a.machines).toHaveLength(1000);
    expect(diff.machines).toEqual(['3']);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
