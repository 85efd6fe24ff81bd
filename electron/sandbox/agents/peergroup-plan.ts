import type { Document } from 'bson';
import { byMachineId, isVotingMember, type PeerGroupInfo, type PeerMachine, type PeerMember } from '../../../shared/ha/peergrouper';
import { parseReplSetStatus, toNumber } from '../../../shared/model/replica-set';
import { managesEnviron } from '../../../shared/model/vote-status';
import { API_PORT, STATE_PORT } from '../model';
import type { MachineState } from './juju-state';

/**
 * The sandbox peergrouper's pure pieces around shared/ha's
 * `desiredPeerGroup`: what it reads turned into `PeerGroupInfo`, the config
 * document `replicaset.Set` writes (version bumped), the reconfig steps a
 * 4.4+ server needs (one voter at a time), and the API host ports
 * `SetAPIHostPorts` publishes (juju/juju 1.25 `worker/peergrouper/
 * {worker,desired,publish}.go`, `state/address.go`).
 */

/** `MachineState` → the peergrouper's view (wantsVote = JobManageEnviron && !novote; peer host = cloud-local address + state port). */
export function peerMachine(m: MachineState): PeerMachine {
  return {
    id: m.id,
    wantsVote: managesEnviron(m.jobs) && !m.noVote,
    hasVote: m.hasVote,
    mongoHostPort: m.cloudLocalAddress === null ? null : `${m.cloudLocalAddress}:${STATE_PORT}`,
  };
}

/** A config member as `replicaset.Member` reads it: `votes`/`priority` only when the server sent them. */
export function peerMemberFromConfig(raw: Document): PeerMember {
  const tags: Record<string, string> = {};
  const rawTags = raw['tags'];
  if (rawTags !== null && typeof rawTags === 'object') {
    for (const [k, v] of Object.entries(rawTags as Record<string, unknown>)) if (typeof v === 'string') tags[k] = v;
  }
  const votes = toNumber(raw['votes']);
  const priority = toNumber(raw['priority']);
  return {
    id: toNumber(raw['_id']) ?? -1,
    host: String(raw['host'] ?? ''),
    ...(votes === null ? {} : { votes }),
    ...(priority === null ? {} : { priority }),
    tags,
  };
}

export interface ReplicaSetReadings {
  /** `replSetGetConfig` (or 2.4's `local.system.replset`) document. */
  readonly config: Document;
  /** `replSetGetStatus` reply. */
  readonly status: Document;
}

export function configMembers(config: Document): PeerMember[] {
  const members = Array.isArray(config['members']) ? (config['members'] as Document[]) : [];
  return members.map(peerMemberFromConfig);
}

export function peerGroupInfo(machines: readonly MachineState[], tracked: ReadonlySet<string>, rs: ReplicaSetReadings): PeerGroupInfo {
  return {
    machines: machines.filter((m) => tracked.has(m.id)).map(peerMachine),
    statuses: parseReplSetStatus(rs.status).members.map((s) => ({ id: s.id, health: s.health, state: s.state })),
    members: configMembers(rs.config),
  };
}

/** `replicaset.Config` as Juju 1.25 sends it in `replSetReconfig`: name, version, members (unset votes/priority omitted). */
export function configDocument(name: string, version: number, members: readonly PeerMember[]): Document {
  return {
    _id: name,
    version,
    members: members.map((m) => ({
      _id: m.id,
      host: m.host,
      ...(m.votes === undefined ? {} : { votes: m.votes }),
      ...(m.priority === undefined ? {} : { priority: m.priority }),
      tags: { ...m.tags },
    })),
  };
}

/**
 * The member lists to apply in order. MongoDB 2.4 takes the desired set in
 * one reconfig (as Juju does). A 4.4+ server (the 6.0 profile) refuses more
 * than one voter change per non-forced reconfig, so there the vote changes
 * are applied one per step, additions first (the voting count passes
 * through an even number for one step, as it must), everything else
 * (new non-voting members, dropped extras, host changes) with the first.
 */
export function reconfigSteps(current: readonly PeerMember[], desired: readonly PeerMember[], oneVoterAtATime: boolean): PeerMember[][] {
  if (!oneVoterAtATime) return [[...desired]];
  const before = new Map(current.map((m) => [m.id, m]));
  const changes = desired.filter((m) => {
    const old = before.get(m.id);
    return old !== undefined && isVotingMember(old) !== isVotingMember(m);
  });
  if (changes.length <= 1) return [[...desired]];
  const ordered = [...changes.filter((m) => isVotingMember(m)), ...changes.filter((m) => !isVotingMember(m))];
  return ordered.map((_, step) => {
    const applied = new Set(ordered.slice(0, step + 1).map((m) => m.id));
    return desired.map((m) => {
      const old = before.get(m.id);
      if (old === undefined || applied.has(m.id) || isVotingMember(old) === isVotingMember(m)) return m;
      return { ...old, host: m.host, tags: m.tags };
    });
  });
}

/** `state.hostPort` as stored in `stateServers` `apiHostPorts.apihostports`. */
export interface HostPortDoc {
  readonly value: string;
  readonly addresstype: string;
  readonly networkscope: string;
  readonly port: number;
}

/**
 * `publishAPIServers`: one list per state server the worker tracks, in
 * machine-id order, each with the machine's addresses and the API port.
 */
export function apiHostPorts(machines: readonly MachineState[], tracked: ReadonlySet<string>): HostPortDoc[][] {
  return machines
    .filter((m) => tracked.has(m.id) && m.cloudLocalAddress !== null)
    .sort((a, b) => byMachineId(a.id, b.id))
    .map((m) => [{ value: m.cloudLocalAddress!, addresstype: 'ipv4', networkscope: 'local-cloud', port: API_PORT }]);
}

/** `host:port` strings of the published API host ports (what a `.jenv`'s `state-servers` caches). */
export function apiAddresses(hostPorts: readonly (readonly HostPortDoc[])[]): string[] {
  return hostPorts.flat().map((hp) => `${hp.value}:${hp.port}`);
}

export function sameHostPorts(a: unknown, b: readonly (readonly HostPortDoc[])[]): boolean {
  if (!Array.isArray(a) || a.length !== b.length) return false;
  return a.every((list, i) => {
    const other = b[i]!;
    if (!Array.isArray(list) || list.length !== other.length) return false;
    return list.every((hp: Record<string, unknown>, j) => {
      const o = other[j]!;
      return hp['value'] === o.value && hp['addresstype'] === o.addresstype && hp['networkscope'] === o.networkscope && toNumber(hp['port']) === o.port;
    });
  });
}
