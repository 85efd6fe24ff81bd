/**
 * The peergrouper's replica-set computation, pure, for the sandbox's
 * peergrouper (which applies it on the primary) and for explaining a pending
 * transition in the UI. Follows juju/juju `worker/peergrouper/desired.go`
 * (`desiredPeerGroup`, `possiblePeerGroupChanges`, `adjustVotes`,
 * `addNewMembers`, `updateAddresses`, `isReady`, `setMemberVoting`,
 * `membersMap`, `statusesMap`; unchanged in substance from 1.20 to 1.25.6)
 * and `worker/peergrouper/worker.go` `updateReplicaset` (which `hasvote`
 * flags are written before and after the reconfig).
 */

import type { MemberState } from '../model/replica-set';
import { JUJU_MACHINE_TAG } from '../model/replica-set';

/** A state-server machine the worker tracks. */
export interface PeerMachine {
  readonly id: string;
  /** JobManageEnviron && !novote. */
  readonly wantsVote: boolean;
  /** The machine doc's `hasvote`. */
  readonly hasVote: boolean;
  /** `mongo.SelectPeerHostPort(MongoHostPorts())`: cloud-local address and state port; null when none. */
  readonly mongoHostPort: string | null;
}

/** A replica-set config member; `votes`/`priority` absent means MongoDB's default (1). */
export interface PeerMember {
  readonly id: number;
  readonly host: string;
  readonly votes?: number;
  readonly priority?: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** The fields of a `replSetGetStatus` member the worker reads. */
export interface PeerMemberStatus {
  readonly id: number;
  /** 1 when healthy (`replicaset.MemberStatus.Healthy`). */
  readonly health: number;
  readonly state: MemberState;
}

export interface PeerGroupInfo {
  readonly machines: readonly PeerMachine[];
  readonly statuses: readonly PeerMemberStatus[];
  readonly members: readonly PeerMember[];
}

export interface DesiredPeerGroup {
  /** The new config members sorted by `_id`, or null when the current group is already right. */
  readonly members: readonly PeerMember[] | null;
  /** Machine id → voting, for machines that voted before or were touched (Go's `machineVoting`); null when unchanged. */
  readonly voting: ReadonlyMap<string, boolean> | null;
  /** Set `hasvote=true` on these BEFORE `replSetReconfig` (revert if it fails). */
  readonly gainVote: readonly string[];
  /** Set `hasvote=false` on these AFTER a successful `replSetReconfig`. */
  readonly loseVote: readonly string[];
}

export type PeerGroupOutcome = { readonly ok: true; readonly value: DesiredPeerGroup } | { readonly ok: false; readonly error: string };

/**
 * The machines the worker considers: those it already tracked that are still
 * in `machineids`, plus new ones whose agent status is `started` (a machine
 * joins the working set only once started; reference §3.4).
 */
export function trackedMachineIds(previous: ReadonlySet<string>, machineIds: readonly string[], statusOf: (id: string) => string | null): Set<string> {
  return new Set(machineIds.filter((id) => previous.has(id) || statusOf(id) === 'started'));
}

/** `desiredPeerGroup`, then `updateReplicaset`'s split of the `hasvote` writes. */
export function desiredPeerGroup(info: PeerGroupInfo): PeerGroupOutcome {
  if (info.members.length === 0) return { ok: false, error: 'current member set is empty' };
  const byId = new Map(info.machines.map((m) => [m.id, m]));
  // membersMap: members keyed by machine via the juju-machine-id tag; the rest are "extra".
  const members = new Map<string, PeerMember>();
  const extra: PeerMember[] = [];
  let maxId = -1;
  for (const member of info.members) {
    const mid = member.tags[JUJU_MACHINE_TAG];
    if (mid !== undefined && byId.has(mid)) members.set(mid, member);
    else extra.push(member);
    maxId = Math.max(maxId, member.id);
  }
  // Extra members are dropped if they no longer vote; a voting one is an error.
  let changed = false;
  for (const member of extra) {
    if (isVotingMember(member)) return { ok: false, error: `voting non-machine member ${goMember(member)} found in peer group` };
    changed = true;
  }

  const { toRemoveVote, toAddVote, toKeep } = possiblePeerGroupChanges(info, members);
  const voting = new Map<string, boolean>();
  for (const m of info.machines) {
    const member = members.get(m.id);
    if (member !== undefined && isVotingMember(member)) voting.set(m.id, true);
  }
  const setVoting = (id: string, vote: boolean) => {
    const member = members.get(id);
    if (member !== undefined) members.set(id, withVoting(member, vote));
    voting.set(id, vote);
    changed = true;
  };
  adjustVotes(toRemoveVote, toAddVote, setVoting);

  // addNewMembers: machines with an address and no member join as non-voters, ids from maxId up.
  for (const id of toKeep) {
    const m = byId.get(id);
    if (members.has(id) || !m?.mongoHostPort) continue;
    maxId++;
    members.set(id, { id: maxId, host: '', tags: { [JUJU_MACHINE_TAG]: id } });
    setVoting(id, false);
  }
  // updateAddresses: every member's host follows its machine's peer address.
  for (const m of info.machines) {
    const member = members.get(m.id);
    if (!m.mongoHostPort || member === undefined || member.host === m.mongoHostPort) continue;
    members.set(m.id, { ...member, host: m.mongoHostPort });
    changed = true;
  }
  if (!changed) return { ok: true, value: { members: null, voting: null, gainVote: [], loseVote: [] } };

  const gainVote: string[] = [];
  const loseVote: string[] = [];
  for (const [id, vote] of voting) {
    const hasVote = byId.get(id)?.hasVote ?? false;
    if (vote && !hasVote) gainVote.push(id);
    if (!vote && hasVote) loseVote.push(id);
  }
  const memberSet = [...members.values()].sort((a, b) => a.id - b.id);
  return { ok: true, value: { members: memberSet, voting, gainVote: gainVote.sort(byMachineId), loseVote: loseVote.sort(byMachineId) } };
}

/** `isVotingMember`: votes unset, or more than 0. */
export function isVotingMember(member: Pick<PeerMember, 'votes'>): boolean {
  return member.votes === undefined || member.votes > 0;
}

/** `isReady`: healthy and PRIMARY or SECONDARY; only then may a member be given a vote. */
export function isReady(status: PeerMemberStatus): boolean {
  return status.health === 1 && (status.state === 'PRIMARY' || status.state === 'SECONDARY');
}

export interface VoteCandidates {
  readonly toRemoveVote: readonly string[];
  readonly toAddVote: readonly string[];
  readonly toKeep: readonly string[];
}

/**
 * `possiblePeerGroupChanges`: wants and votes → keep; wants, does not vote →
 * add if its member is ready, else keep (this includes machines with no
 * member yet); votes without wanting → remove; otherwise keep. Sorted by id.
 */
export function possiblePeerGroupChanges(info: PeerGroupInfo, members: ReadonlyMap<string, PeerMember>): VoteCandidates {
  const toRemoveVote: string[] = [];
  const toAddVote: string[] = [];
  const toKeep: string[] = [];
  for (const m of info.machines) {
    const member = members.get(m.id);
    const isVoting = member !== undefined && isVotingMember(member);
    const status = member === undefined ? undefined : info.statuses.find((s) => s.id === member.id);
    if (m.wantsVote && !isVoting && status !== undefined && isReady(status)) toAddVote.push(m.id);
    else if (!m.wantsVote && isVoting) toRemoveVote.push(m.id);
    else toKeep.push(m.id);
  }
  return { toRemoveVote: toRemoveVote.sort(byMachineId), toAddVote: toAddVote.sort(byMachineId), toKeep: toKeep.sort(byMachineId) };
}

/**
 * `adjustVotes`: never let the number of voters become even. Swap votes
 * pairwise (one removal for one addition); then apply the remaining
 * additions in pairs only (dropping the odd one out); only if no additions
 * remain, apply the remaining removals in pairs only.
 */
export function adjustVotes(toRemoveVote: readonly string[], toAddVote: readonly string[], setVoting: (id: string, voting: boolean) => void): void {
  const nreplace = Math.min(toRemoveVote.length, toAddVote.length);
  for (let i = 0; i < nreplace; i++) {
    setVoting(toRemoveVote[i] as string, false);
    setVoting(toAddVote[i] as string, true);
  }
  const add = toAddVote.slice(nreplace);
  const remove = toRemoveVote.slice(nreplace);
  if (add.length > 0) {
    for (const id of add.slice(0, add.length - (add.length % 2))) setVoting(id, true);
  } else {
    for (const id of remove.slice(0, remove.length - (remove.length % 2))) setVoting(id, false);
  }
}

/** Go's `byId`: a plain string comparison, so "10" sorts before "2". */
export function byMachineId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `setMemberVoting`: voters get votes/priority unset; non-voters `votes: 0, priority: 0`. */
function withVoting(member: PeerMember, voting: boolean): PeerMember {
  const { votes: _votes, priority: _priority, ...rest } = member;
  return voting ? rest : { ...rest, votes: 0, priority: 0 };
}

/** An approximation of Go's `%#v` of a `replicaset.Member` (pointer fields shown by value). */
function goMember(m: PeerMember): string {
  const tags = Object.entries(m.tags)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ');
  const votes = m.votes === undefined ? '(*int)(nil)' : String(m.votes);
  return `replicaset.Member{Id:${m.id}, Address:${JSON.stringify(m.host)}, Tags:map[string]string{${tags}}, Votes:${votes}}`;
}
