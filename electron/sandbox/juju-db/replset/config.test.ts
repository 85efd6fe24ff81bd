import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoServerError } from '../errors';
import { parseConfig, validateConfig, validateInitiate, validateReconfig, votingChanges, type ReplSetConfig } from './config';

const RSID = new ObjectId();
const host = (i: number): string => `10.0.0.${i}:37017`;

function cfg(members: object[], version = 1, name = 'juju'): ReplSetConfig {
  return parseConfig({ _id: name, version, members, settings: { replicaSetId: RSID } }, { electionTimeoutMillis: 1500 });
}

const three = (version = 1): ReplSetConfig => cfg([1, 2, 3].map((i) => ({ _id: i, host: host(i), tags: { 'juju-machine-id': String(i - 1) } })), version);

function rejected(fn: () => void): MongoServerError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MongoServerError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('replica set config validation', () => {
  it('applies MongoDB defaults', () => {
    const c = three();
    expect(c.members[0]).toMatchObject({ votes: 1, priority: 1, hidden: false, arbiterOnly: false, tags: { 'juju-machine-id': '0' } });
    expect(c.settings.electionTimeoutMillis).toBe(1500);
    expect(validateConfig(c)).toBeUndefined();
  });

  it('rejects bad member settings', () => {
    expect(validateConfig(cfg([{ _id: 1, host: host(1), votes: 2 }]))).toBe('votes field value is 2 but must be 0 or 1');
    expect(validateConfig(cfg([{ _id: 1, host: host(1) }, { _id: 2, host: host(2), votes: 0 }]))).toBe('priority must be 0 when non-voting (votes:0)');
    expect(validateConfig(cfg([{ _id: 1, host: host(1) }, { _id: 1, host: host(2) }]))).toMatch(/same _id field/);
    expect(validateConfig(cfg([{ _id: 1, host: host(1) }, { _id: 2, host: host(1) }]))).toMatch(/same host field/);
    expect(validateConfig(cfg(Array.from({ length: 8 }, (_, i) => ({ _id: i, host: host(i) }))))).toMatch(/8 voting members, but must be at least 1 and no more than 7/);
    expect(validateConfig(cfg(Array.from({ length: 51 }, (_, i) => ({ _id: i, host: host(i), votes: i ? 0 : 1, priority: i ? 0 : 1 }))))).toMatch(/51 members/);
    expect(validateConfig(cfg([{ _id: 1, host: host(1), priority: 0 }]))).toMatch(/at least one non-arbiter member with priority > 0/);
    expect(rejected(() => parseConfig({ _id: 'juju', members: 'x' }, { electionTimeoutMillis: 1 })).code).toBe(93);
  });

  it('enforces reconfig compatibility with code 103', () => {
    const old = three(2);
    const e1 = rejected(() => validateReconfig(old, three(2), false, host(1)));
    expect(e1.code).toBe(103);
    expect(e1.message).toBe('New replica set configuration version must be greater than old, but 2 is not greater than 2 for replica set juju');
    const renamed = cfg([1, 2, 3].map((i) => ({ _id: i, host: host(i) })), 3, 'other');
    expect(rejected(() => validateReconfig(old, renamed, false, host(1))).message).toMatch(/differ in replica set name; old was juju, and new is other/);
    const swapped = cfg([{ _id: 1, host: host(1) }, { _id: 2, host: host(3) }, { _id: 3, host: host(2) }], 3);
    expect(rejected(() => validateReconfig(old, swapped, false, host(1))).message).toMatch(/both have members with host of/);
    const five = cfg([1, 2, 3, 4, 5].map((i) => ({ _id: i, host: host(i) })), 3);
    expect(votingChanges(old, five)).toBe(2);
    const e2 = rejected(() => validateReconfig(old, five, false, host(1)));
    expect(e2.code).toBe(103);
    expect(e2.message).toBe('Non force replica set reconfig can only add or remove at most 1 voting member.');
    expect(() => validateReconfig(old, five, true, host(1))).not.toThrow();
    // MongoDB 2.4's rules: two votes added in one reconfig (Juju 1.25's peergrouper does exactly that).
    expect(() => validateReconfig(old, five, false, host(1), { singleVoterChange: false })).not.toThrow();
    expect(rejected(() => validateReconfig(old, five, false, host(1), { singleVoterChange: true })).code).toBe(103);
    const four = cfg([1, 2, 3, 4].map((i) => ({ _id: i, host: host(i) })), 3);
    expect(() => validateReconfig(old, four, false, host(1))).not.toThrow();
    const demoteSelf = cfg([{ _id: 1, host: host(1), priority: 0 }, { _id: 2, host: host(2) }, { _id: 3, host: host(3) }], 3);
    expect(rejected(() => validateReconfig(old, demoteSelf, false, host(1))).message).toMatch(/is not electable under the new configuration/);
    expect(rejected(() => validateReconfig(old, three(3), false, host(9))).code).toBe(74);
  });

  it('requires the initiating node to be in the config', () => {
    expect(rejected(() => validateInitiate(three(), host(9))).code).toBe(93);
    expect(() => validateInitiate(three(), host(1))).not.toThrow();
  });
});
