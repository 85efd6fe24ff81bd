import { describe, expect, it } from 'vitest';
import type { MemberState } from '../model/replica-set';
import {
  adjustVotes,
  byMachineId,
  desiredPeerGroup,
  trackedMachineIds,
  type DesiredPeerGroup,
  type PeerGroupInfo,
  type PeerMachine,
  type PeerMember,
  type PeerMemberStatus,
} from './peergrouper';

const host = (id: string) => `10.0.0.${10 + Number(id)}:37017`;
function machine(id: string, wantsVote: boolean, hasVote: boolean): PeerMachine {
  return { id, wantsVote, hasVote, mongoHostPort: host(id) };
}
function voter(id: number, machineId: string): PeerMember {
  return { id, host: host(machineId), tags: { 'juju-machine-id': machineId } };
}
function nonVoter(id: number, machineId: string): PeerMember {
  return { ...voter(id, machineId), votes: 0, priority: 0 };
}
function status(id: number, state: MemberState, health = 1): PeerMemberStatus {
  return { id, state, health };
}
function desired(info: PeerGroupInfo): DesiredPeerGroup {
  const r = desiredPeerGroup(info);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
const voters = (d: DesiredPeerGroup) => (d.members ?? []).filter((m) => m.votes === undefined).map((m) => m.tags['juju-machine-id']);

describe('desiredPeerGroup: 1 → 3', () => {
  const machines = [machine('0', true, true), machine('1', true, false), machine('2', true, false)];

  it('pass 1 adds the two new machines as non-voting members (_id max+1, tagged)', () => {
    const d = desired({ machines, members: [voter(1, '0')], statuses: [status(1, 'PRIMARY')] });
    expect(d.members).toEqual([voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2')]);
    expect(d.gainVote).toEqual([]);
    expect(d.loseVote).toEqual([]);
  });

  it('while only one new member is ready, no vote is added (the count would be even)', () => {
    const members = [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2')];
    const d = desired({ machines, members, statuses: [status(1, 'PRIMARY'), status(2, 'SECONDARY'), status(3, 'STARTUP2')] });
    expect(d.members).toBeNull();
  });

  it('a later pass gives both votes together once both are healthy secondaries', () => {
    const members = [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2')];
    const d = desired({ machines, members, statuses: [status(1, 'PRIMARY'), status(2, 'SECONDARY'), status(3, 'SECONDARY')] });
    expect(d.members).toEqual([voter(1, '0'), voter(2, '1'), voter(3, '2')]);
    expect(d.gainVote).toEqual(['1', '2']);
    expect(d.loseVote).toEqual([]);
  });

  it('an unhealthy SECONDARY is not ready', () => {
    const members = [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2')];
    const d = desired({ machines, members, statuses: [status(1, 'PRIMARY'), status(2, 'SECONDARY'), status(3, 'SECONDARY', 0)] });
    expect(d.members).toBeNull();
  });
});

describe('desiredPeerGroup: swaps and pairs', () => {
  it('3 voters, one to demote and one ready to add: the votes are swapped', () => {
    const machines = [machine('0', true, true), machine('1', true, true), machine('2', false, true), machine('3', true, false)];
    const members = [voter(1, '0'), voter(2, '1'), voter(3, '2'), nonVoter(4, '3')];
    const statuses = [status(1, 'PRIMARY'), status(2, 'SECONDARY'), status(3, 'SECONDARY'), status(4, 'SECONDARY')];
    const d = desired({ machines, members, statuses });
    expect(voters(d)).toEqual(['0', '1', '3']);
    expect(d.members?.find((m) => m.id === 3)).toEqual(nonVoter(3, '2'));
    expect(d.gainVote).toEqual(['3']);
    expect(d.loseVote).toEqual(['2']);
  });

  it('three ready additions: two get votes, the odd one (highest id) waits', () => {
    const machines = [machine('0', true, true), machine('1', true, false), machine('2', true, false), machine('3', true, false)];
    const members = [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2'), nonVoter(4, '3')];
    const statuses = [status(1, 'PRIMARY'), status(2, 'SECONDARY'), status(3, 'SECONDARY'), status(4, 'SECONDARY')];
    const d = desired({ machines, members, statuses });
    expect(voters(d)).toEqual(['0', '1', '2']);
    expect(d.gainVote).toEqual(['1', '2']);
  });

  it('removals without additions go in pairs; a single one waits', () => {
    const five = ['0', '1', '2', '3', '4'];
    const members = five.map((id, i) => voter(i + 1, id));
    const statuses = five.map((_, i) => status(i + 1, i === 0 ? 'PRIMARY' : 'SECONDARY'));
    const two = desired({ machines: five.map((id) => machine(id, id < '3', true)), members, statuses });
    expect(voters(two)).toEqual(['0', '1', '2']);
    expect(two.loseVote).toEqual(['3', '4']);
    const one = desired({ machines: five.map((id) => machine(id, id !== '4', true)), members, statuses });
    expect(one.members).toBeNull();
  });

  it('adjustVotes keeps the voter count odd for any mix', () => {
    for (let remove = 0; remove <= 3; remove++) {
      for (let add = 0; add <= 3; add++) {
        let delta = 0;
        const r = Array.from({ length: remove }, (_, i) => `r${i}`);
        const a = Array.from({ length: add }, (_, i) => `a${i}`);
        adjustVotes(r, a, (_id, voting) => (delta += voting ? 1 : -1));
        expect(Math.abs(delta % 2), `remove ${remove} add ${add}`).toBe(0);
      }
    }
  });

  it('orders machines by Go string order ("10" before "2")', () => {
    expect(['2', '10', '1'].sort(byMachineId)).toEqual(['1', '10', '2']);
  });
});

describe('desiredPeerGroup: extras, addresses, errors', () => {
  it('drops a non-voting member that has no machine', () => {
    const d = desired({ machines: [machine('0', true, true)], members: [voter(1, '0'), nonVoter(2, '7')], statuses: [status(1, 'PRIMARY')] });
    expect(d.members).toEqual([voter(1, '0')]);
  });
  it('refuses a voting member that has no machine', () => {
    const r = desiredPeerGroup({ machines: [machine('0', true, true)], members: [voter(1, '0'), voter(2, '7')], statuses: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^voting non-machine member replicaset\.Member\{Id:2, .* found in peer group$/);
  });
  it('refuses an empty member set', () => {
    expect(desiredPeerGroup({ machines: [], members: [], statuses: [] })).toEqual({ ok: false, error: 'current member set is empty' });
  });
  it('follows a machine address change; a machine without an address is not added', () => {
    const d = desired({
      machines: [{ ...machine('0', true, true), mongoHostPort: '10.9.9.9:37017' }, { ...machine('1', true, false), mongoHostPort: null }],
      members: [voter(1, '0')],
      statuses: [status(1, 'PRIMARY')],
    });
    expect(d.members).toEqual([{ ...voter(1, '0'), host: '10.9.9.9:37017' }]);
  });
  it('reports no change for a settled group', () => {
    const d = desired({ machines: [machine('0', true, true)], members: [voter(1, '0')], statuses: [status(1, 'PRIMARY')] });
    expect(d).toEqual({ members: null, voting: null, gainVote: [], loseVote: [] });
  });
});

describe('trackedMachineIds', () => {
  it('keeps tracked machines, adds started ones, drops those no longer state servers', () => {
    const statuses: Record<string, string> = { '0': 'down', '1': 'pending', '2': 'started', '3': 'started' };
    expect([...trackedMachineIds(new Set(['0', '9']), ['0', '1', '2'], (id) => statuses[id] ?? null)]).toEqual(['0', '2']);
  });
});
