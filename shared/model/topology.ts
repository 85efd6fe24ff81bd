/**
 * The topology of one environment, as Quorum shows it: `juju status -v`'s
 * machine listing joined with what Juju's status cannot show — each state
 * server's replica-set member (state, health, lag), the primary, and quorum.
 *
 * Built purely from parsed records (see `juju-documents.ts`,
 * `replica-set.ts`) so the same rules run in tests, in the main process and
 * in a benchmark. An unreachable machine shows as down and never vanishes:
 * when nothing can be read, the last known topology is kept, marked stale.
 */

import { compareMachineIds, type JujuInstanceRecord, type JujuMachineRecord, type JujuStateServersRecord, type JujuStatusRecord, type MachineLife } from './juju-documents';
import { summarizeQuorum, type QuorumSummary } from './quorum';
import {
  JUJU_MACHINE_TAG,
  hostOnly,
  isHealthyMember,
  type MemberState,
  type MemberStatusRecord,
  type ReplicaSetConfigRecord,
  type ReplicaSetStatusRecord,
} from './replica-set';
import { machineVoteStatus, managesEnviron, type MachineJob, type VoteStatus } from './vote-status';

export interface MemberView {
  /** The member's `_id` in the replica-set config. */
  readonly memberId: number;
  /** `host:port` as configured, e.g. `10.23.0.10:37017`. */
  readonly host: string;
  readonly state: MemberState;
  /** Reachable from the member Quorum read the status from, and in a working state. */
  readonly healthy: boolean;
  readonly voting: boolean;
  readonly isPrimary: boolean;
  /** Whole seconds behind the primary's last operation; null without a primary or an optime. */
  readonly lagSeconds: number | null;
  /** MongoDB's own words on why it is unhealthy, when it gave any. */
  readonly message: string | null;
}

export interface MachineView {
  readonly id: string;
  readonly instanceId: string | null;
  /** The provider's instance status (`instance-state`). */
  readonly instanceState: string | null;
  /** `dns-name`. */
  readonly address: string | null;
  readonly series: string | null;
  /** `hardware`, formatted as Juju does. */
  readonly hardware: string | null;
  /** `agent-state`: `started`, `pending`, `down`, `error`… */
  readonly agentState: string;
  /** `agent-state-info`, e.g. `(started)` when the agent is down. */
  readonly agentStateInfo: string | null;
  readonly agentVersion: string | null;
  readonly jobs: readonly MachineJob[];
  readonly life: MachineLife;
  /** Has `JobManageEnviron`. */
  readonly isStateServer: boolean;
  /** `state-server-member-status`; null for machines that are not state servers. */
  readonly voteStatus: VoteStatus | null;
  /** The machine's replica-set member; null when it has none (or is not a state server). */
  readonly member: MemberView | null;
  readonly isPrimary: boolean;
  /** False when Quorum has reason to believe the machine is down or cannot be reached. */
  readonly reachable: boolean;
  /**
   * Juju's agent presence (`AgentPresence`), null when it could not be read.
   * Apart from `reachable` because Juju's HA rules ("available") go by
   * presence alone, which outlives a dead machine by 30–60 s.
   */
  readonly agentPresent?: boolean | null;
  /** True when these facts are the last known ones, not freshly read. */
  readonly stale: boolean;
}

export interface Topology {
  readonly environmentId: string;
  /** Every machine, in Juju's order (`0`, `1`, `2`, …, `10`). */
  readonly machines: readonly MachineView[];
  /** Machine id of the primary, or null while there is none. */
  readonly primary: string | null;
  readonly quorum: QuorumSummary;
  /** Members that match no machine (Juju's "extra" members), shown so nothing hides. */
  readonly extraMembers: readonly MemberView[];
  /** The state server (its address) this view was read from, or null when nothing could be read. */
  readonly readFrom: string | null;
  /** True when nothing could be read and this is the last known topology. */
  readonly stale: boolean;
  /** When this was read (ISO 8601); ignored by `diffTopology`. */
  readonly observedAt: string;
}

export interface JujuFacts {
  readonly machines: readonly JujuMachineRecord[];
  readonly instances: readonly JujuInstanceRecord[];
  readonly statuses: readonly JujuStatusRecord[];
  readonly stateServers: JujuStateServersRecord | null;
  /** Agent presence by machine id (Juju's presence pings), when it could be read. */
  readonly presence: ReadonlyMap<string, boolean> | null;
}

export interface ReplicaSetFacts {
  readonly config: ReplicaSetConfigRecord;
  readonly status: ReplicaSetStatusRecord;
}

export interface TopologyInput {
  readonly environmentId: string;
  readonly juju: JujuFacts;
  /** Null when the replica set could not be read (every state server then shows as down). */
  readonly replicaSet: ReplicaSetFacts | null;
  readonly readFrom: string | null;
  readonly observedAt: string;
}

/** Builds the topology from one round of reads. */
export function buildTopology(input: TopologyInput): Topology {
  const { juju, replicaSet } = input;
  const instances = new Map(input.juju.instances.map((i) => [i.machineId, i]));
  const statuses = new Map(input.juju.statuses.map((s) => [s.machineId, s]));
  const members = replicaSet === null ? [] : joinMembers(replicaSet);
  const primaryMember = members.find((m) => m.view.isPrimary) ?? null;

  const claimed = new Set<number>();
  const byTag = new Map<string, JoinedMember>();
  for (const m of members) if (m.machineTag !== null && !byTag.has(m.machineTag)) byTag.set(m.machineTag, m);

  const machines = [...juju.machines].sort((a, b) => compareMachineIds(a.id, b.id)).map((record): MachineView => {
    const stateServer = managesEnviron(record.jobs);
    let member: JoinedMember | null = null;
    if (stateServer || byTag.has(record.id)) {
      member = byTag.get(record.id) ?? members.find((m) => m.machineTag === null && !claimed.has(m.view.memberId) && record.addresses.includes(hostOnly(m.view.host))) ?? null;
    }
    if (member !== null) claimed.add(member.view.memberId);
    const instance = instances.get(record.id);
    const agent = agentStateOf(stateServer, member, replicaSet !== null, statuses.get(record.id), record.life, juju.presence?.get(record.id));
    return {
      id: record.id,
      instanceId: instance?.instanceId ?? null,
      instanceState: instance?.status ?? null,
      address: record.address,
      series: record.series,
      hardware: instance?.hardware ?? null,
      agentState: agent.state,
      agentStateInfo: agent.info,
      agentVersion: record.agentVersion,
      jobs: record.jobs,
      life: record.life,
      isStateServer: stateServer,
      voteStatus: machineVoteStatus(record),
      member: member?.view ?? null,
      isPrimary: member !== null && member === primaryMember,
      reachable: agent.state !== 'down',
      agentPresent: juju.presence?.get(record.id) ?? null,
      stale: false,
    };
  });

  const extraMembers = members.filter((m) => !claimed.has(m.view.memberId)).map((m) => m.view);
  const voters = members.filter((m) => m.view.voting);
  return {
    environmentId: input.environmentId,
    machines,
    primary: machines.find((m) => m.isPrimary)?.id ?? null,
    quorum: summarizeQuorum(voters.length, voters.filter((m) => m.view.healthy).length),
    extraMembers,
    readFrom: input.readFrom,
    stale: false,
    observedAt: input.observedAt,
  };
}

/**
 * The topology to show when nothing could be read: the last known machines,
 * all marked stale; state servers (whose members could not be reached) show
 * as down, and there is no primary. With no previous topology there is
 * nothing to show, and the caller shows the error alone.
 */
export function markUnreachable(previous: Topology, observedAt: string): Topology {
  const machines = previous.machines.map((m): MachineView => {
    const down = m.isStateServer;
    return {
      ...m,
      agentState: down ? 'down' : m.agentState,
      agentStateInfo: down && m.agentState !== 'down' ? downInfo(m.agentState) : m.agentStateInfo,
      member: m.member === null ? null : { ...m.member, state: 'UNKNOWN', healthy: false, isPrimary: false, lagSeconds: null },
      isPrimary: false,
      reachable: false,
      stale: true,
    };
  });
  const voting = previous.quorum.voting;
  return {
    ...previous,
    machines,
    primary: null,
    quorum: summarizeQuorum(voting, 0),
    extraMembers: previous.extraMembers.map((m) => ({ ...m, state: 'UNKNOWN', healthy: false, isPrimary: false, lagSeconds: null })),
    readFrom: null,
    stale: true,
    observedAt,
  };
}

interface JoinedMember {
  readonly view: MemberView;
  readonly machineTag: string | null;
}

/** Joins config members with their status; a member missing from the status is UNKNOWN. */
function joinMembers(replicaSet: ReplicaSetFacts): JoinedMember[] {
  const statusById = new Map<number, MemberStatusRecord>(replicaSet.status.members.map((s) => [s.id, s]));
  const primaryStatus = replicaSet.status.members.find((s) => s.state === 'PRIMARY' && s.health === 1) ?? null;
  const primaryOptime = primaryStatus?.optimeSeconds ?? null;
  return replicaSet.config.members.map((config): JoinedMember => {
    const status = statusById.get(config.id);
    const state: MemberState = status?.state ?? 'UNKNOWN';
    const healthy = status !== undefined && isHealthyMember(status);
    const isPrimary = status !== undefined && status === primaryStatus;
    const optime = status?.optimeSeconds ?? null;
    const lagSeconds = healthy && primaryOptime !== null && optime !== null ? Math.max(0, Math.round(primaryOptime - optime)) : null;
    return {
      machineTag: config.tags[JUJU_MACHINE_TAG] ?? null,
      view: {
        memberId: config.id,
        host: config.host,
        state,
        healthy,
        voting: config.votes > 0,
        isPrimary,
        lagSeconds,
        message: healthy ? null : (status?.message ?? null),
      },
    };
  });
}

/**
 * Juju's agent-state, corrected by what Quorum can see: a state server
 * whose member is unreachable is down, as is any machine whose agent
 * presence is known to be gone. The presence rule is 1.25's
 * `processMachine`: a pending machine is never down (its agent has not
 * started yet), nor is a dead one; otherwise an agent that is not alive is
 * `down` and the recorded status moves into the info, `(started)` or
 * `(started: <info>)`.
 */
function agentStateOf(
  stateServer: boolean,
  member: JoinedMember | null,
  replicaSetRead: boolean,
  status: JujuStatusRecord | undefined,
  life: MachineLife,
  alive: boolean | undefined,
): { state: string; info: string | null } {
  const recorded = status?.status ?? 'pending';
  const info = status?.info ?? null;
  const memberDown = stateServer && (replicaSetRead ? member !== null && !member.view.healthy : true);
  const presenceDown = alive === false && recorded !== 'pending' && life !== 'dead';
  if (memberDown || presenceDown) {
    return { state: 'down', info: recorded === 'down' ? info : downInfo(recorded, info) };
  }
  return { state: recorded, info };
}

function downInfo(previous: string | null, info: string | null = null): string | null {
  if (previous === null || previous === '') return null;
  return info === null ? `(${previous})` : `(${previous}: ${info})`;
}

/** What changed between two topologies (ignoring `observedAt`). */
export interface TopologyDiff {
  /** Ids of machines added, removed or changed. */
  readonly machines: readonly string[];
  /** True when anything beyond the machine list changed (primary, quorum, extras, staleness, source). */
  readonly summary: boolean;
}

export function diffTopology(previous: Topology | null, next: Topology): TopologyDiff {
  if (previous === null) return { machines: next.machines.map((m) => m.id), summary: true };
  const changed: string[] = [];
  const before = new Map(previous.machines.map((m) => [m.id, m]));
  for (const machine of next.machines) {
    const old = before.get(machine.id);
    if (old === undefined || !deepEqual(old, machine)) changed.push(machine.id);
    before.delete(machine.id);
  }
  changed.push(...before.keys());
  const order = previous.machines.length === next.machines.length && previous.machines.every((m, i) => m.id === next.machines[i]?.id);
  const summary =
    !order ||
    previous.environmentId !== next.environmentId ||
    previous.primary !== next.primary ||
    previous.stale !== next.stale ||
    previous.readFrom !== next.readFrom ||
    !deepEqual(previous.quorum, next.quorum) ||
    !deepEqual(previous.extraMembers, next.extraMembers);
  return { machines: changed, summary };
}

/** True when the two topologies show the same thing. */
export function sameTopology(previous: Topology | null, next: Topology): boolean {
  const diff = diffTopology(previous, next);
  return diff.machines.length === 0 && !diff.summary;
}

/**
 * Returns `next` with every unchanged machine (and the quorum summary)
 * replaced by the object from `previous`, so memoized views keyed by object
 * identity re-render only what changed. Returns `previous` itself when
 * nothing changed.
 */
export function shareUnchanged(previous: Topology | null, next: Topology): Topology {
  if (previous === null) return next;
  const diff = diffTopology(previous, next);
  if (diff.machines.length === 0 && !diff.summary) return previous;
  const changed = new Set(diff.machines);
  const before = new Map(previous.machines.map((m) => [m.id, m]));
  const machines = next.machines.map((m) => (changed.has(m.id) ? m : (before.get(m.id) ?? m)));
  return {
    ...next,
    machines: diff.machines.length === 0 ? previous.machines : machines,
    quorum: deepEqual(previous.quorum, next.quorum) ? previous.quorum : next.quorum,
    extraMembers: deepEqual(previous.extraMembers, next.extraMembers) ? previous.extraMembers : next.extraMembers,
  };
}

/** Structural equality of plain data (what crosses IPC). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!Object.hasOwn(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
