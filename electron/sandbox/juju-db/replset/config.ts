/**
 * Replica set configuration: parsing with MongoDB's defaults, and the
 * validation rules `replSetInitiate` and `replSetReconfig` apply, with the
 * error codes and messages mongod returns. Pure functions (unit-tested).
 */
import { ObjectId, type Document } from 'bson';
import { flag, num } from '../bson-eval';
import { MongoServerError } from '../errors';

export interface MemberConfig {
  _id: number;
  host: string;
  arbiterOnly: boolean;
  buildIndexes: boolean;
  hidden: boolean;
  priority: number;
  tags: Record<string, string>;
  secondaryDelaySecs: number;
  votes: number;
}

export interface ReplSetSettings {
  chainingAllowed: boolean;
  heartbeatIntervalMillis: number;
  heartbeatTimeoutSecs: number;
  electionTimeoutMillis: number;
  catchUpTimeoutMillis: number;
  catchUpTakeoverDelayMillis: number;
  getLastErrorModes: Document;
  getLastErrorDefaults: Document;
  replicaSetId: ObjectId;
}

export interface ReplSetConfig {
  _id: string;
  version: number;
  term: number;
  protocolVersion: number;
  writeConcernMajorityJournalDefault: boolean;
  members: MemberConfig[];
  settings: ReplSetSettings;
}

export const MAX_MEMBERS = 50;
export const MAX_VOTING_MEMBERS = 7;

function invalid(msg: string): MongoServerError {
  return new MongoServerError('InvalidReplicaSetConfig', msg);
}

/** Parse a config document (as sent by a client) applying MongoDB's defaults. Type errors → 93. */
export function parseConfig(doc: Document, defaults: { electionTimeoutMillis: number; replicaSetId?: ObjectId | undefined }): ReplSetConfig {
  if (typeof doc._id !== 'string' || doc._id === '') throw invalid('Missing expected field "_id"');
  if (!Array.isArray(doc.members)) throw invalid('Expected field "members" to be an array');
  const members: MemberConfig[] = doc.members.map((m: unknown, i: number) => {
    if (!m || typeof m !== 'object') throw invalid(`Expected type of members.${i} to be object`);
    const d = m as Document;
    if (d._id === undefined) throw invalid(`Missing expected field "_id" in members.${i}`);
    if (typeof d.host !== 'string' || d.host === '') throw invalid(`Missing expected field "host" in members.${i}`);
    const arbiterOnly = flag(d.arbiterOnly);
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries((d.tags as Document | undefined) ?? {})) {
      if (typeof v !== 'string') throw invalid(`tags.${k} field has non-string value of type ${typeof v}`);
      tags[k] = v;
    }
    return {
      _id: num(d._id, Number.NaN),
      host: d.host.includes(':') ? d.host : `${d.host}:27017`,
      arbiterOnly,
      buildIndexes: d.buildIndexes === undefined ? true : flag(d.buildIndexes),
      hidden: flag(d.hidden),
      priority: d.priority === undefined ? (arbiterOnly ? 0 : 1) : num(d.priority, Number.NaN),
      tags,
      secondaryDelaySecs: num(d.secondaryDelaySecs ?? d.slaveDelay, 0),
      votes: d.votes === undefined ? 1 : num(d.votes, Number.NaN),
    };
  });
  const s = (doc.settings as Document | undefined) ?? {};
  return {
    _id: doc._id,
    version: doc.version === undefined ? 1 : num(doc.version, Number.NaN),
    term: doc.term === undefined ? 0 : num(doc.term, 0),
    protocolVersion: 1,
    writeConcernMajorityJournalDefault: doc.writeConcernMajorityJournalDefault === undefined ? true : flag(doc.writeConcernMajorityJournalDefault),
    members,
    settings: {
      chainingAllowed: s.chainingAllowed === undefined ? true : flag(s.chainingAllowed),
      heartbeatIntervalMillis: num(s.heartbeatIntervalMillis, 2000),
      heartbeatTimeoutSecs: num(s.heartbeatTimeoutSecs, 10),
      electionTimeoutMillis: num(s.electionTimeoutMillis, defaults.electionTimeoutMillis),
      catchUpTimeoutMillis: num(s.catchUpTimeoutMillis, -1),
      catchUpTakeoverDelayMillis: num(s.catchUpTakeoverDelayMillis, 30000),
      getLastErrorModes: (s.getLastErrorModes as Document | undefined) ?? {},
      getLastErrorDefaults: (s.getLastErrorDefaults as Document | undefined) ?? { w: 1, wtimeout: 0 },
      replicaSetId: s.replicaSetId instanceof ObjectId ? s.replicaSetId : (defaults.replicaSetId ?? new ObjectId()),
    },
  };
}

export function votingMembers(c: ReplSetConfig): MemberConfig[] {
  return c.members.filter((m) => m.votes > 0);
}

/** MongoDB's `ReplSetConfig::validate`. Returns an error message or undefined. */
export function validateConfig(c: ReplSetConfig): string | undefined {
  if (!Number.isInteger(c.version) || c.version < 1) return `version field value of ${c.version} is out of range`;
  if (c.members.length < 1 || c.members.length > MAX_MEMBERS) {
    return `Replica set configuration contains ${c.members.length} members, but must have at least 1 and no more than ${MAX_MEMBERS}`;
  }
  for (let i = 0; i < c.members.length; i++) {
    const m = c.members[i]!;
    if (!Number.isInteger(m._id) || m._id < 0 || m._id > 255) return `_id field value of ${m._id} is out of range.`;
    if (m.votes !== 0 && m.votes !== 1) return `votes field value is ${m.votes} but must be 0 or 1`;
    if (!Number.isFinite(m.priority) || m.priority < 0 || m.priority > 1000) return `priority field value of ${m.priority} is out of range`;
    if (m.votes === 0 && m.priority !== 0) return 'priority must be 0 when non-voting (votes:0)';
    if (m.hidden && m.priority !== 0) return 'priority must be 0 when hidden=true';
    if (m.arbiterOnly && m.priority !== 0) return 'priority must be 0 when arbiterOnly=true';
    if (!/^[^:]+:\d+$/.test(m.host)) return `FailedToParse: Invalid host and port "${m.host}"`;
    for (let j = 0; j < i; j++) {
      const o = c.members[j]!;
      if (o._id === m._id) return `Found two member configurations with same _id field, members.${j}._id == members.${i}._id == ${m._id}`;
      if (o.host.toLowerCase() === m.host.toLowerCase()) return `Found two member configurations with same host field, members.${j}.host == members.${i}.host == ${m.host}`;
    }
  }
  const voters = votingMembers(c).length;
  if (voters < 1 || voters > MAX_VOTING_MEMBERS) {
    return `Replica set configuration contains ${voters} voting members, but must be at least 1 and no more than ${MAX_VOTING_MEMBERS}`;
  }
  if (!c.members.some((m) => m.priority > 0 && !m.arbiterOnly)) {
    return 'Replica set configuration must contain at least one non-arbiter member with priority > 0';
  }
  return undefined;
}

/** How many voting members a reconfig adds or removes (by member `_id`). */
export function votingChanges(oldC: ReplSetConfig, newC: ReplSetConfig): number {
  const oldV = new Set(votingMembers(oldC).map((m) => m._id));
  const newV = new Set(votingMembers(newC).map((m) => m._id));
  let n = 0;
  for (const id of oldV) if (!newV.has(id)) n++;
  for (const id of newV) if (!oldV.has(id)) n++;
  return n;
}

function incompatible(msg: string): MongoServerError {
  return new MongoServerError('NewReplicaSetConfigurationIncompatible', msg);
}

/** Which generation of reconfig rules the server applies. */
export interface ReconfigRules {
  /**
   * MongoDB 4.4+ (`validateConfigForReconfig`, safe reconfig): a non-forced
   * reconfig may add or remove at most one voting member. MongoDB 2.4
   * (`ReplSetConfig::checkRsConfig`) had no such rule: Juju 1.25's
   * peergrouper gives two members their votes in one `replSetReconfig`.
   * Default true (the modern rule).
   */
  readonly singleVoterChange?: boolean;
}

/**
 * `validateConfigForReconfig`: the new config must be valid, keep the set
 * name, have a greater version, keep host↔_id pairs, keep this node
 * electable, and (unless forced, and only under the modern rules) change at
 * most one voting member.
 */
export function validateReconfig(oldC: ReplSetConfig, newC: ReplSetConfig, force: boolean, selfHost: string, rules: ReconfigRules = {}): void {
  const err = validateConfig(newC);
  if (err) throw incompatible(err);
  if (newC._id !== oldC._id) {
    throw incompatible(`New and old configurations differ in replica set name; old was ${oldC._id}, and new is ${newC._id}`);
  }
  if (!force && newC.version <= oldC.version) {
    throw incompatible(`New replica set configuration version must be greater than old, but ${newC.version} is not greater than ${oldC.version} for replica set ${newC._id}`);
  }
  if (newC.settings.replicaSetId.toHexString() !== oldC.settings.replicaSetId.toHexString()) {
    throw incompatible(`New and old configurations differ in replica set ID; old was ${oldC.settings.replicaSetId.toHexString()}, and new is ${newC.settings.replicaSetId.toHexString()}`);
  }
  for (const nm of newC.members) {
    for (const om of oldC.members) {
      if (om.host.toLowerCase() === nm.host.toLowerCase() && om._id !== nm._id) {
        throw incompatible(`New and old configurations both have members with host of ${nm.host} but in the new configuration the _id field is ${nm._id} and in the old configuration it is ${om._id} for replica set ${newC._id}`);
      }
      if (om._id === nm._id && om.arbiterOnly !== nm.arbiterOnly) {
        throw incompatible(`New and old configurations differ in the setting of the arbiterOnly field for member ${nm.host}; to make this change, remove then re-add the member`);
      }
    }
  }
  const self = newC.members.find((m) => m.host.toLowerCase() === selfHost.toLowerCase());
  if (!self) {
    if (force) return;
    throw new MongoServerError('NodeNotFound', `No host described in new configuration with {version: ${newC.version}, term: ${newC.term}} for replica set ${newC._id} maps to this node`);
  }
  if (!force && (self.priority === 0 || self.votes === 0)) {
    throw incompatible(`This node, ${self.host}, with _id ${self._id} is not electable under the new configuration with {version: ${newC.version}, term: ${newC.term}} for replica set ${newC._id}`);
  }
  if (!force && (rules.singleVoterChange ?? true) && votingChanges(oldC, newC) > 1) {
    throw incompatible('Non force replica set reconfig can only add or remove at most 1 voting member.');
  }
}

/** Validation for `replSetInitiate` (errors are InvalidReplicaSetConfig). */
export function validateInitiate(c: ReplSetConfig, selfHost: string): void {
  const err = validateConfig(c);
  if (err) throw invalid(err);
  if (!c.members.some((m) => m.host.toLowerCase() === selfHost.toLowerCase())) {
    throw invalid(`No host described in new configuration with {version: ${c.version}, term: ${c.term}} for replica set ${c._id} maps to this node`);
  }
}

/** The config as `replSetGetConfig` returns it. */
export function configToDocument(c: ReplSetConfig): Document {
  return {
    _id: c._id,
    version: c.version,
    term: c.term,
    protocolVersion: c.protocolVersion,
    writeConcernMajorityJournalDefault: c.writeConcernMajorityJournalDefault,
    members: c.members.map((m) => ({
      _id: m._id,
      host: m.host,
      arbiterOnly: m.arbiterOnly,
      buildIndexes: m.buildIndexes,
      hidden: m.hidden,
      priority: m.priority,
      tags: { ...m.tags },
      secondaryDelaySecs: m.secondaryDelaySecs,
      votes: m.votes,
    })),
    settings: { ...c.settings },
  };
}

export function memberByHost(c: ReplSetConfig | null, host: string): MemberConfig | undefined {
  return c?.members.find((m) => m.host.toLowerCase() === host.toLowerCase());
}

export function majorityOf(c: ReplSetConfig): number {
  return Math.floor(votingMembers(c).length / 2) + 1;
}
