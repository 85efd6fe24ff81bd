/**
 * `replSetGetStatus` as seen from one member: its own state plus what its
 * heartbeats tell it about the others (unreachable members show health 0,
 * state 8).
 */
import { Long, Timestamp, type Document } from 'bson';
import { MongoServerError } from '../errors';
import type { ReplicaNode } from '../node';
import { NULL_OPTIME, type OpTime } from '../oplog';
import { memberByHost, votingMembers } from './config';
import { MemberState, stateStr } from './member-state';
import { findMember, majorityOpTime } from './topology';

function opTimeDoc(o: OpTime): Document {
  return { ts: o.ts, t: Long.fromNumber(o.t) };
}

function opDate(o: OpTime): Date {
  return new Date(o.ts.t * 1000);
}

export function replSetStatus(node: ReplicaNode): Document {
  const cfg = node.config;
  if (!cfg) throw new MongoServerError('NotYetInitialized', 'no replset config has been received');
  const self = memberByHost(cfg, node.host);
  if (!self) {
    throw new MongoServerError('InvalidReplicaSetConfig', 'Our replica set config is invalid or we are not a member of it', {
      state: MemberState.REMOVED,
      stateStr: 'REMOVED',
      uptime: Math.floor((Date.now() - node.startedAt) / 1000),
      optime: opTimeDoc(node.lastApplied),
      optimeDate: opDate(node.lastApplied),
    });
  }
  const now = new Date();
  const members = cfg.members.map((m) => {
    const isSelf = m.host.toLowerCase() === node.host.toLowerCase();
    const other = isSelf ? node : findMember(node, m.host);
    const base: Document = { _id: m._id, name: m.host };
    if (!other || other.status !== 'running') {
      const last = node.lastHeartbeat.get(m.host);
      return {
        ...base,
        health: 0,
        state: MemberState.DOWN,
        stateStr: '(not reachable/healthy)',
        uptime: 0,
        optime: opTimeDoc(NULL_OPTIME),
        optimeDurable: opTimeDoc(NULL_OPTIME),
        optimeDate: new Date(0),
        optimeDurableDate: new Date(0),
        lastAppliedWallTime: new Date(0),
        lastDurableWallTime: new Date(0),
        lastHeartbeat: last ?? new Date(0),
        lastHeartbeatRecv: last ?? new Date(0),
        pingMs: Long.fromNumber(0),
        lastHeartbeatMessage: 'Error connecting to ' + m.host + ' :: caused by :: Connection refused',
        authenticated: false,
        syncSourceHost: '',
        syncSourceId: -1,
        infoMessage: '',
        configVersion: -1,
        configTerm: -1,
      };
    }
    const optime = other.lastApplied;
    const state = other.state;
    const doc: Document = {
      ...base,
      health: 1,
      state,
      stateStr: stateStr(state),
      uptime: Math.floor((Date.now() - other.startedAt) / 1000),
      optime: opTimeDoc(optime),
      optimeDurable: opTimeDoc(optime),
      optimeDate: opDate(optime),
      optimeDurableDate: opDate(optime),
      lastAppliedWallTime: opDate(optime),
      lastDurableWallTime: opDate(optime),
    };
    if (!isSelf) {
      doc.lastHeartbeat = node.lastHeartbeat.get(m.host) ?? now;
      doc.lastHeartbeatRecv = node.lastHeartbeat.get(m.host) ?? now;
      doc.pingMs = Long.fromNumber(0);
      doc.lastHeartbeatMessage = '';
    }
    const src = other.isPrimary ? null : other.syncSource;
    doc.syncSourceHost = src?.host ?? '';
    doc.syncSourceId = src ? (memberByHost(cfg, src.host)?._id ?? -1) : -1;
    doc.infoMessage = other.initialSyncing || other.initialSyncPending ? 'initial sync in progress' : '';
    if (other.isPrimary && other.electionTime) {
      doc.electionTime = other.electionTime;
      doc.electionDate = other.electionDate;
    }
    doc.configVersion = other.config?.version ?? -1;
    doc.configTerm = other.config?.term ?? -1;
    if (isSelf) doc.self = true;
    return doc;
  });
  const voters = votingMembers(cfg).length;
  const majority = Math.floor(voters / 2) + 1;
  const last = node.lastApplied;
  const maj = majorityOpTime(node);
  return {
    set: cfg._id,
    date: now,
    myState: node.state,
    term: Long.fromNumber(node.term),
    syncSourceHost: node.isPrimary ? '' : (node.syncSource?.host ?? ''),
    syncSourceId: node.isPrimary || !node.syncSource ? -1 : (memberByHost(cfg, node.syncSource.host)?._id ?? -1),
    heartbeatIntervalMillis: Long.fromNumber(cfg.settings.heartbeatIntervalMillis),
    majorityVoteCount: majority,
    writeMajorityCount: majority,
    votingMembersCount: voters,
    writableVotingMembersCount: cfg.members.filter((m) => m.votes > 0 && !m.arbiterOnly).length,
    optimes: {
      lastCommittedOpTime: opTimeDoc(maj),
      lastCommittedWallTime: opDate(maj),
      readConcernMajorityOpTime: opTimeDoc(maj),
      appliedOpTime: opTimeDoc(last),
      durableOpTime: opTimeDoc(last),
      lastAppliedWallTime: opDate(last),
      lastDurableWallTime: opDate(last),
    },
    members,
    ok: 1,
  };
}

export function nowTimestamp(): Timestamp {
  return new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 });
}
