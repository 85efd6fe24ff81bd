import { Double, Int32, Long, Timestamp } from 'bson';
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

describe('parseReplSetConfig: MongoDB 2.4 (local.system.replset)', () => {
  it('reads the stored document itself: no config wrapper, no settings.replicaSetId or protocolVersion, BSON numbers', () => {
    // As Juju 1.25's peergrouper leaves it in a 2.4 local.system.replset (votes/priority as doubles after a reconfig).
    const stored = {
      _id: 'juju',
      version: new Int32(4),
      members: [
        { _id: new Int32(1), host: '10.23.0.10:37017', tags: { 'juju-machine-id': '0' } },
        { _id: new Int32(2), host: '10.23.0.11:37017', votes: new Int32(1), priority: new Double(1), tags: { 'juju-machine-id': '1' } },
        { _id: 3, host: '10.23.0.12:37017', votes: new Double(0), priority: new Double(0), tags: { 'juju-machine-id': '2' } },
      ],
    };
    expect(parseReplSetConfig(stored)).toEqual({
      name: 'juju',
      version: 4,
      members: [
        { id: 1, host: '10.23.0.10:37017', votes: 1, priority: 1, tags: { 'juju-machine-id': '0' } },
        { id: 2, host: '10.23.0.11:37017', votes: 1, priority: 1, tags: { 'juju-machine-id': '1' } },
        { id: 3, host: '10.23.0.12:37017', votes: 0, priority: 0, tags: { 'juju-machine-id': '2' } },
      ],
    });
  });

  it('reads a modern config with settings, protocolVersion and Long numbers the same way', () => {
    const reply = {
      config: {
        _id: 'juju',
        version: 2,
        term: Long.fromNumber(7),
        protocolVersion: Long.fromNumber(1),
        members: [{ _id: 1, host: '10.23.0.10:37017', arbiterOnly: false, votes: 1, priority: 1, tags: { 'juju-machine-id': '0' }, secondaryDelaySecs: Long.fromNumber(0) }],
        settings: { replicaSetId: { _bsontype: 'ObjectId' }, electionTimeoutMillis: 10_000 },
      },
      ok: 1,
    };
    expect(parseReplSetConfig(reply)).toEqual({ name: 'juju', version: 2, members: [{ id: 1, host: '10.23.0.10:37017', votes: 1, priority: 1, tags: { 'juju-machine-id': '0' } }] });
  });
});

describe('parseReplSetStatus: MongoDB 2.4', () => {
  it('reads 2.4\'s replSetGetStatus: optime a bare Timestamp beside optimeDate, no term, self message in errmsg', () => {
    // Shaped as mongod 2.4.9 answers (see its ReplSetImpl::_summarizeStatus).
    const status = parseReplSetStatus({
      set: 'juju',
      date: new Date(1_700_000_100_000),
      myState: 2,
      syncingTo: '10.23.0.10:37017',
      members: [
        {
          _id: 1,
          name: '10.23.0.10:37017',
          health: new Double(1),
          state: 1,
          stateStr: 'PRIMARY',
          uptime: 120,
          optime: new Timestamp({ t: 1_700_000_090, i: 1 }),
          optimeDate: new Date(1_700_000_090_000),
          lastHeartbeat: new Date(1_700_000_099_000),
          lastHeartbeatRecv: new Date(1_700_000_099_000),
          pingMs: 0,
        },
        {
          _id: 2,
          name: '10.23.0.11:37017',
          health: 1,
          state: 2,
          stateStr: 'SECONDARY',
          uptime: 130,
          optime: new Timestamp({ t: 1_700_000_080, i: 4 }),
          optimeDate: new Date(1_700_000_080_000),
          errmsg: 'syncing to: 10.23.0.10:37017',
          self: true,
        },
        {
          _id: 3,
          name: '10.23.0.12:37017',
          health: 0,
          state: 8,
          stateStr: '(not reachable/healthy)',
          uptime: 0,
          optime: new Timestamp({ t: 1_700_000_000, i: 1 }),
          optimeDate: new Date(1_700_000_000_000),
          lastHeartbeatMessage: 'couldn\'t connect to server 10.23.0.12:37017',
        },
      ],
      ok: 1,
    });
    expect(status.set).toBe('juju');
    expect(status.members.map((m) => [m.id, m.state, m.health, m.optimeSeconds, m.self, m.message])).toEqual([
      [1, 'PRIMARY', 1, 1_700_000_090, false, null],
      [2, 'SECONDARY', 1, 1_700_000_080, true, 'syncing to: 10.23.0.10:37017'],
      [3, 'DOWN', 0, 1_700_000_000, false, "couldn't connect to server 10.23.0.12:37017"],
    ]);
  });

  it('takes the seconds from a bare Timestamp when optimeDate is missing, from either bson build', () => {
    // The driver's CJS bson Timestamp is not an instance of the ESM class: only its shape counts.
    const cjsLike = { _bsontype: 'Timestamp', getHighBits: () => 1_700_000_050, getLowBits: () => 2, t: 1_700_000_050, i: 2 };
    const status = parseReplSetStatus({
      set: 'juju',
      members: [
        { _id: 1, name: 'a:37017', health: 1, state: 1, optime: new Timestamp({ t: 1_700_000_060, i: 1 }) },
        { _id: 2, name: 'b:37017', health: 1, state: 2, optime: cjsLike },
        { _id: 3, name: 'c:37017', health: 1, state: 2, optime: { ts: new Timestamp({ t: 1_700_000_055, i: 9 }), t: Long.fromNumber(3) } },
        { _id: 4, name: 'd:37017', health: 1, state: 2, optime: Long.fromNumber(12) },
      ],
    });
    expect(status.members.map((m) => m.optimeSeconds)).toEqual([1_700_000_060, 1_700_000_050, 1_700_000_055, null]);
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
