import { describe, expect, it } from 'vitest';
import { desiredPeerGroup, type PeerMember } from '../../../shared/ha/peergrouper';
import type { MachineState } from './juju-state';
import { apiAddresses, apiHostPorts, configDocument, configMembers, peerGroupInfo, reconfigSteps, sameHostPorts } from './peergroup-plan';

const host = (id: string) => `10.23.0.${10 + Number(id)}:37017`;

function machine(id: string, over: Partial<MachineState> = {}): MachineState {
  return {
    id,
    series: 'trusty',
    life: 'alive',
    jobs: ['JobHostUnits', 'JobManageEnviron'],
    noVote: false,
    hasVote: true,
    address: null,
    addresses: [],
    agentVersion: null,
    principals: [],
    cloudLocalAddress: `10.23.0.${10 + Number(id)}`,
    ...over,
  };
}

const voter = (n: number, id: string): PeerMember => ({ id: n, host: host(id), tags: { 'juju-machine-id': id } });
const nonVoter = (n: number, id: string): PeerMember => ({ ...voter(n, id), votes: 0, priority: 0 });
const status = (ids: Array<[number, string]>) => ({ members: ids.map(([id, stateStr]) => ({ _id: id, health: 1, state: stateStr === 'PRIMARY' ? 1 : stateStr === 'SECONDARY' ? 2 : 5, stateStr })) });

describe('sandbox peergrouper pieces', () => {
  it('reads a 2.4 config (votes/priority absent for voters) and a 6.0 one (explicit)', () => {
    expect(configMembers({ _id: 'juju', version: 3, members: [{ _id: 1, host: host('0'), tags: { 'juju-machine-id': '0' } }, { _id: 2, host: host('3'), votes: 0, priority: 0, tags: { 'juju-machine-id': '3' } }] })).toEqual([voter(1, '0'), nonVoter(2, '3')]);
    expect(configMembers({ _id: 'juju', members: [{ _id: 1, host: host('0'), votes: 1, priority: 1, tags: {} }] })).toEqual([{ id: 1, host: host('0'), votes: 1, priority: 1, tags: {} }]);
  });

  it('1 -> 3: new started machines join non-voting, then get their votes together once SECONDARY', () => {
    const machines = [machine('0'), machine('1', { hasVote: false }), machine('2', { hasVote: false })];
    const tracked = new Set(['0', '1', '2']);
    const first = desiredPeerGroup(peerGroupInfo(machines, tracked, { config: { _id: 'juju', version: 1, members: [{ _id: 1, host: host('0'), tags: { 'juju-machine-id': '0' } }] }, status: status([[1, 'PRIMARY']]) }));
    expect(first).toEqual({ ok: true, value: expect.objectContaining({ members: [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2')], gainVote: [], loseVote: [] }) });
    const config = configDocument('juju', 2, [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2')]);
    expect(config).toEqual({
      _id: 'juju',
      version: 2,
      members: [
        { _id: 1, host: host('0'), tags: { 'juju-machine-id': '0' } },
        { _id: 2, host: host('1'), votes: 0, priority: 0, tags: { 'juju-machine-id': '1' } },
        { _id: 3, host: host('2'), votes: 0, priority: 0, tags: { 'juju-machine-id': '2' } },
      ],
    });
    // One new member still in initial sync: no vote for either (pairs only).
    const syncing = desiredPeerGroup(peerGroupInfo(machines, tracked, { config, status: status([[1, 'PRIMARY'], [2, 'SECONDARY'], [3, 'STARTUP2']]) }));
    expect(syncing.ok && syncing.value.members).toBe(null);
    const ready = desiredPeerGroup(peerGroupInfo(machines, tracked, { config, status: status([[1, 'PRIMARY'], [2, 'SECONDARY'], [3, 'SECONDARY']]) }));
    expect(ready).toEqual({ ok: true, value: expect.objectContaining({ members: [voter(1, '0'), voter(2, '1'), voter(3, '2')], gainVote: ['1', '2'], loseVote: [] }) });
  });

  it('only started (tracked) machines are considered', () => {
    const info = peerGroupInfo([machine('0'), machine('1', { hasVote: false })], new Set(['0']), { config: { _id: 'juju', version: 1, members: [] }, status: { members: [] } });
    expect(info.machines.map((m) => m.id)).toEqual(['0']);
    expect(info.machines[0]).toEqual({ id: '0', wantsVote: true, hasVote: true, mongoHostPort: host('0') });
  });

  it('applies vote changes in one step (2.4) or one voter per step, additions first (4.4+)', () => {
    const current = [voter(1, '0'), nonVoter(2, '1'), nonVoter(3, '2'), voter(4, '3'), nonVoter(5, '4')];
    const desired = [voter(1, '0'), voter(2, '1'), voter(3, '2'), nonVoter(4, '3'), nonVoter(5, '4'), nonVoter(6, '5')];
    expect(reconfigSteps(current, desired, false)).toEqual([desired]);
    const steps = reconfigSteps(current, desired, true);
    expect(steps).toEqual([
      [voter(1, '0'), voter(2, '1'), nonVoter(3, '2'), voter(4, '3'), nonVoter(5, '4'), nonVoter(6, '5')],
      [voter(1, '0'), voter(2, '1'), voter(3, '2'), voter(4, '3'), nonVoter(5, '4'), nonVoter(6, '5')],
      desired,
    ]);
    expect(reconfigSteps(current, [...current, nonVoter(6, '5')], true)).toEqual([[...current, nonVoter(6, '5')]]);
  });

  it('publishes the tracked state servers\' API host ports in machine-id order', () => {
    const hp = apiHostPorts([machine('10'), machine('2'), machine('1'), machine('3', { cloudLocalAddress: null })], new Set(['1', '2', '10', '3']));
    expect(hp).toEqual([
      [{ value: '10.23.0.11', addresstype: 'ipv4', networkscope: 'local-cloud', port: 17070 }],
      [{ value: '10.23.0.20', addresstype: 'ipv4', networkscope: 'local-cloud', port: 17070 }],
      [{ value: '10.23.0.12', addresstype: 'ipv4', networkscope: 'local-cloud', port: 17070 }],
    ]);
    expect(apiAddresses(hp)).toEqual(['10.23.0.11:17070', '10.23.0.20:17070', '10.23.0.12:17070']);
    expect(sameHostPorts(JSON.parse(JSON.stringify(hp)), hp)).toBe(true);
    expect(sameHostPorts(undefined, hp)).toBe(false);
    expect(sameHostPorts(hp.slice(1), hp)).toBe(false);
  });
});
