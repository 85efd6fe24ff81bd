import { describe, expect, it } from 'vitest';
import { hostOnly, isHealthyMember, parseMemberState, parseReplSetConfig, parseReplSetStatus } from './replica-set';

describe('parseReplSetConfig', () => {
  it('reads members with their votes, priority and Juju tag; defaults votes and priority to 1', () => {
    const config = parseReplSetConfig({
      config: {
        _id: 'juju',
        version: 3,
        members: [
          { _id: 1, host: '10.23.0.10:37017', tags: { 'juju-machine-id': '0' } },
          { _id: 2, host: '10.23.0.11:37017', votes: 0, priority: 0, tags: { 'juju-machine-id': '1' } },
          { host: 'broken' },
        ],
      },
      ok: 1,
    });
    expect(config).toEqual({
      name: 'juju',
      version: 3,
      members: [
        { id: 1, host: '10.23.0.10:37017', votes: 1, priority: 1, tags: { 'juju-machine-id': '0' } },
        { id: 2, host: '10.23.0.11:37017', votes: 0, priority: 0, tags: { 'juju-machine-id': '1' } },
      ],
    });
  });
});

describe('parseReplSetStatus', () => {
  it('reads state, health, optime (Date, {ts,t} or Timestamp) and messages', () => {
    const ts = (seconds: number) => ({ getHighBits: () => seconds, t: seconds, i: 1 });
    const status = parseReplSetStatus({
      set: 'juju',
      members: [
        { _id: 1, name: 'a:37017', health: 1, state: 1, stateStr: 'PRIMARY', optimeDate: new Date(100_000), self: true },
        { _id: 2, name: 'b:37017', health: 1, state: 2, stateStr: 'SECONDARY', optime: { ts: ts(97), t: 1 } },
        { _id: 3, name: 'c:37017', health: 0, state: 8, stateStr: '(not reachable/healthy)', optime: ts(90), lastHeartbeatMessage: 'Connection refused' },
      ],
    });
    expect(status.set).toBe('juju');
    expect(status.members.map((m) => [m.id, m.state, m.health, m.optimeSeconds, m.self, m.message])).toEqual([
      [1, 'PRIMARY', 1, 100, true, null],
      [2, 'SECONDARY', 1, 97, false, null],
      [3, 'DOWN', 0, 90, false, 'Connection refused'],
    ]);
  });

  it('throws on a reply that is not a document', () => {
    expect(() => parseReplSetStatus(null)).toThrow(TypeError);
  });
});

describe('member states and health', () => {
  it('prefers the numeric state, falls back to stateStr, then UNKNOWN', () => {
    expect(parseMemberState(8, '(not reachable/healthy)')).toBe('DOWN');
    expect(parseMemberState(undefined, 'STARTUP2')).toBe('STARTUP2');
    expect(parseMemberState(4, 'nonsense')).toBe('UNKNOWN');
  });

  it('counts only reachable members in working states as healthy', () => {
    expect(isHealthyMember({ health: 1, state: 'PRIMARY' })).toBe(true);
    expect(isHealthyMember({ health: 1, state: 'SECONDARY' })).toBe(true);
    expect(isHealthyMember({ health: 0, state: 'SECONDARY' })).toBe(false);
    expect(isHealthyMember({ health: 1, state: 'DOWN' })).toBe(false);
    expect(isHealthyMember({ health: 1, state: 'UNKNOWN' })).toBe(false);
    expect(isHealthyMember({ health: 1, state: 'REMOVED' })).toBe(false);
  });

  it('strips the port from hosts, IPv6 included', () => {
    expect(hostOnly('10.23.0.10:37017')).toBe('10.23.0.10');
    expect(hostOnly('[::1]:37017')).toBe('::1');
    expect(hostOnly('fe80::1')).toBe('fe80::1');
    expect(hostOnly('host')).toBe('host');
  });
});
