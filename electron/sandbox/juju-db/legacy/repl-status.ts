/**
 * `replSetGetStatus` shaped as MongoDB 2.4 answers it (db/repl/health.cpp,
 * ReplSetImpl::_summarizeStatus): members sorted by `_id`, self with
 * `health: 1.0` and `self: true`, each with `optime` as a bare Timestamp and
 * `optimeDate`; others add `lastHeartbeat`, `lastHeartbeatRecv`, `pingMs`
 * and `syncingTo`; unreachable ones `health: 0.0`, state 8 and stateStr
 * "(not reachable/healthy)". No `term`, no `optimes`, no `members[].optimeDurable`.
 */
import { Double, Timestamp, type Document } from 'bson';
import type { ReplicaNode } from '../node';
import { NULL_OPTIME, type OpTime } from '../oplog';
import { memberByHost } from '../replset/config';
import { MemberState, stateStr } from '../replset/member-state';
import { findMember } from '../replset/topology';

/** Thrown replies (2.4 answers these with ok: 0 and extra fields). */
export class LegacyCommandFailure extends Error {
  constructor(readonly reply: Document) {
    super(String(reply.errmsg));
  }
}

function optimeFields(o: OpTime): Document {
  return { optime: new Timestamp({ t: o.ts.t, i: o.ts.i }), optimeDate: new Date(o.ts.t * 1000) };
}

function uptimeOf(n: ReplicaNode): number {
  return Math.floor((Date.now() - n.startedAt) / 1000);
}

export function legacyReplSetStatus(node: ReplicaNode): Document {
  const cfg = node.config;
  if (!cfg) {
    // rs.cpp: no config yet (EMPTYCONFIG), with the startup status code 3.
    throw new LegacyCommandFailure({
      startupStatus: 3,
      info: 'run rs.initiate(...) if not yet done for the set',
      ok: 0,
      errmsg: "can't get local.system.replset config from self or any seed (EMPTYCONFIG)",
    });
  }
  const selfCfg = memberByHost(cfg, node.host);
  if (!selfCfg) {
    // A member removed from the config is "shunned" (state 10) and reports no set.
    throw new LegacyCommandFailure({ startupStatus: 3, info: 'self not present in the repl set configuration', ok: 0, errmsg: 'our replica set config is invalid or we are not a member of it' });
  }
  const self: Document = {
    _id: selfCfg._id,
    name: selfCfg.host,
    health: new Double(1),
    state: node.state,
    stateStr: stateStr(node.state),
    uptime: uptimeOf(node),
  };
  if (!selfCfg.arbiterOnly) Object.assign(self, optimeFields(node.lastApplied));
  if (node.initialSyncing || node.initialSyncPending) self.errmsg = 'initial sync need a member to be primary or secondary to do our initial sync';
  else if (!node.isPrimary && node.syncSource) self.errmsg = `syncing to: ${node.syncSource.host}`;
  self.self = true;

  const others: Document[] = [];
  for (const m of cfg.members) {
    if (m === selfCfg) continue;
    const other = findMember(node, m.host);
    const up = !!other && other.status === 'running';
    const doc: Document = { _id: m._id, name: m.host, health: new Double(up ? 1 : 0) };
    const state = up ? other.state : MemberState.DOWN;
    doc.state = state;
    doc.stateStr = up ? stateStr(state) : '(not reachable/healthy)';
    doc.uptime = up ? uptimeOf(other) : 0;
    if (!m.arbiterOnly) Object.assign(doc, optimeFields(up ? other.lastApplied : NULL_OPTIME));
    const last = node.lastHeartbeat.get(m.host) ?? (up ? new Date() : new Date(0));
    doc.lastHeartbeat = last;
    doc.lastHeartbeatRecv = up ? last : new Date(0);
    doc.pingMs = 0;
    if (!up) doc.lastHeartbeatMessage = `DBClientBase::findN: transport error: ${m.host} ns: admin.$cmd query: { replSetHeartbeat: "${cfg._id}" }`;
    if (up && !other.isPrimary && other.syncSource) doc.syncingTo = other.syncSource.host;
    others.push(doc);
  }
  // health.cpp sorts the whole list (self included) as BSON objects, i.e. by `_id`.
  const members = [self, ...others].sort((a, b) => (a._id as number) - (b._id as number));
  const reply: Document = { set: cfg._id, date: new Date(Math.floor(Date.now() / 1000) * 1000), myState: node.state };
  if (node.state !== MemberState.PRIMARY && node.syncSource) reply.syncingTo = node.syncSource.host;
  reply.members = members;
  reply.ok = 1;
  return reply;
}
