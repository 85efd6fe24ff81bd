import { formatEnsureAvailabilityResult, planToResultShape, type StateServersChanges } from '../../../shared/ha/changes';
import {
  ensureAvailabilityIntentions,
  guessNewMachineIds,
  seriesForNewMachines,
  validateStateServerCount,
  type EnsureAvailabilityIntentions,
  type HaMachine as RuleMachine,
  type HaState,
} from '../../../shared/ha/ensure-availability';
import { availableCounts, rerunHazard, type RerunMachine } from '../../../shared/ha/guards';
import { isContainerMachineId, parseCliPlacement } from '../../../shared/ha/placement';
import type { HaMachine, HaPreview, MapEntry } from '../../../shared/ipc/channels/ha';
import type { MachineView, Topology } from '../../../shared/model/topology';
import { voteStatusOf, type VoteStatus } from '../../../shared/model/vote-status';
import { adviceFor } from '../juju-api/api-errors';
import { parseConstraints, type ConstraintsValue } from '../juju-api/constraints';

/**
 * The HA page's facts, derived from the topology the topology service
 * already reads (no second poller): each machine's vote flags come back
 * from its `state-server-member-status`, "available" is agent presence as
 * Juju's rules use it (a pending or down agent is not available), and the
 * `stateServers` document is rebuilt from the machines (`machineIds` = every
 * JobManageEnviron machine, `votingMachineIds` = those that want a vote,
 * which is what ensure-availability's txn keeps it equal to). Then the
 * shared rules (`shared/ha`) do the rest, so the preview is computed by
 * exactly the code the sandbox's API server applies.
 */

/** Vote flags back from the vote status (the four words are a bijection of WantsVote × HasVote). */
function flagsOf(status: VoteStatus | null): { wantsVote: boolean; hasVote: boolean } {
  switch (status) {
    case 'has-vote':
      return { wantsVote: true, hasVote: true };
    case 'removing-vote':
      return { wantsVote: false, hasVote: true };
    case 'adding-vote':
      return { wantsVote: true, hasVote: false };
    default:
      return { wantsVote: false, hasVote: false };
  }
}

/**
 * Agent present, as `ensureAvailabilityIntentions` means it: Juju's presence
 * when it was read (a dead machine's agent stays "available" to Juju until
 * its presence expires, 30–60 s), else what the topology saw.
 */
export function isAvailable(m: MachineView): boolean {
  if (m.stale || m.life === 'dead' || m.agentState === 'pending') return false;
  if (m.agentPresent !== undefined && m.agentPresent !== null) return m.agentPresent;
  return m.reachable && m.agentState !== 'down';
}

/** Down in the topology (member or agent) while Juju's presence still says alive: Juju will not act on it yet. */
export function downButPresent(m: MachineView): boolean {
  return m.agentState === 'down' && m.agentPresent === true;
}

export function haMachine(m: MachineView): HaMachine {
  const flags = flagsOf(m.voteStatus);
  return {
    machineId: m.id,
    address: m.address,
    series: m.series,
    agentState: m.agentState,
    isStateServer: m.isStateServer,
    voteStatus: m.voteStatus,
    wantsVote: m.isStateServer && flags.wantsVote,
    hasVote: flags.hasVote,
    available: isAvailable(m),
    isPrimary: m.isPrimary,
    memberHealthy: m.member?.healthy ?? null,
  };
}

/** The rules' input, rebuilt from the topology. */
export function haState(topology: Topology): HaState {
  const machines: RuleMachine[] = topology.machines.map((m) => {
    const h = haMachine(m);
    return { id: m.id, jobs: m.jobs, noVote: !h.wantsVote, hasVote: h.hasVote, available: h.available, series: m.series };
  });
  const servers = topology.machines.filter((m) => m.isStateServer);
  return {
    machines,
    stateServers: { machineIds: servers.map((m) => m.id), votingMachineIds: servers.filter((m) => haMachine(m).wantsVote).map((m) => m.id) },
  };
}

export function rerunMachines(topology: Topology): RerunMachine[] {
  return topology.machines.map((m) => {
    const h = haMachine(m);
    return { id: m.id, jobs: m.jobs, noVote: !h.wantsVote, hasVote: h.hasVote, available: h.available, agentStatus: m.agentState };
  });
}

export function hazardsOf(topology: Topology) {
  return rerunHazard(rerunMachines(topology));
}

export function stopsOf(topology: Topology) {
  return availableCounts(haState(topology).stateServers.votingMachineIds.length);
}

/** The machines `--to` may name: alive, not state servers, not containers. */
export function placementCandidates(topology: Topology): HaMachine[] {
  return topology.machines.filter((m) => !m.isStateServer && m.life === 'alive' && !isContainerMachineId(m.id)).map(haMachine);
}

export interface SpecInput {
  readonly n: number;
  readonly series?: string | undefined;
  readonly constraints?: string | undefined;
  readonly placement?: readonly string[] | undefined;
}

/** What the API call will carry, once the CLI-side parsing passed. */
export interface ApiSpec {
  readonly numStateServers: number;
  readonly series: string;
  readonly constraints: ConstraintsValue;
  readonly placement: readonly string[];
}

/** The CLI's own parsing (`--to`, `--constraints`): its errors never reach the API. */
export function parseSpec(spec: SpecInput): { ok: true; value: ApiSpec } | { ok: false; error: string } {
  const placement = parseCliPlacement((spec.placement ?? []).join(','));
  if (!placement.ok) return placement;
  const constraints = parseConstraints(spec.constraints ?? '');
  if (!constraints.ok) return constraints;
  return { ok: true, value: { numStateServers: spec.n, series: spec.series ?? '', constraints: constraints.value, placement: placement.placement } };
}

export interface PreviewComputation {
  readonly preview: HaPreview;
  /** What the API should return (tags), for `sameChanges`; null when it will refuse. */
  readonly expected: StateServersChanges | null;
  readonly intentions: EnsureAvailabilityIntentions | null;
}

/** Juju's plan for `spec` on this topology: its report lines, the before/after map, or Juju's error. */
export function computePreview(topology: Topology, spec: SpecInput): PreviewComputation {
  const state = haState(topology);
  const servers = topology.machines.filter((m) => m.isStateServer);
  const before: MapEntry[] = servers.map((m) => {
    const h = haMachine(m);
    return { machineId: m.id, isNew: false, change: null, voteStatus: m.voteStatus, available: h.available };
  });
  const hazards = hazardsOf(topology);
  const refused = (error: string): PreviewComputation => ({
    preview: { environmentId: topology.environmentId, desired: null, lines: [], noOp: false, changes: {}, before, after: before, error, advice: adviceFor(error), hazards },
    expected: null,
    intentions: null,
  });
  const parsed = parseSpec(spec);
  if (!parsed.ok) return refused(parsed.error);
  const countError = validateStateServerCount(spec.n, 'server');
  if (countError !== null) return refused(countError);
  const series = seriesForNewMachines(state, parsed.value.series);
  if (!series.ok) return refused(series.error);
  const outcome = ensureAvailabilityIntentions({ ...state, numStateServers: spec.n, placement: parsed.value.placement });
  if (!outcome.ok) return refused(outcome.error);
  const intentions = outcome.value;
  const newIds = guessNewMachineIds(
    topology.machines.map((m) => m.id),
    intentions.add,
  );
  const changes = planToResultShape(intentions, newIds);
  const change = (id: string): MapEntry['change'] => {
    if (intentions.noOp) return 'maintain';
    for (const [key, ids] of [
      ['maintain', intentions.maintain],
      ['promote', intentions.promote],
      ['demote', intentions.demote],
      ['remove', intentions.remove],
    ] as const) {
      if (ids.includes(id)) return key;
    }
    return null;
  };
  const after: MapEntry[] = servers.map((m) => {
    const h = haMachine(m);
    const c = change(m.id);
    const voteStatus = c === 'promote' ? voteStatusOf(h.hasVote, true) : c === 'demote' ? voteStatusOf(h.hasVote, false) : c === 'remove' ? null : m.voteStatus;
    return { machineId: m.id, isNew: false, change: c, voteStatus, available: h.available };
  });
  for (const id of intentions.convert) {
    const m = topology.machines.find((x) => x.id === id);
    after.push({ machineId: id, isNew: false, change: 'convert', voteStatus: 'adding-vote', available: m ? isAvailable(m) : false });
  }
  for (const id of newIds) after.push({ machineId: id, isNew: true, change: 'add', voteStatus: 'adding-vote', available: false });
  return {
    preview: {
      environmentId: topology.environmentId,
      desired: intentions.desired,
      lines: formatEnsureAvailabilityResult(changes),
      noOp: intentions.noOp,
      changes,
      before,
      after,
      error: null,
      advice: null,
      hazards,
    },
    expected: changes,
    intentions,
  };
}

/** A state server is pending or a vote is moving: a change is still settling. */
export function isSettling(topology: Topology): boolean {
  return topology.machines.some((m) => m.isStateServer && (m.agentState === 'pending' || m.voteStatus === 'adding-vote' || m.voteStatus === 'removing-vote'));
}

/** A state server that wants or holds a vote is down while quorum still holds: recovery applies. */
export function failedStateServers(topology: Topology): string[] {
  return topology.machines.filter((m) => m.isStateServer && m.agentState !== 'pending' && (!isAvailable(m) || downButPresent(m))).map((m) => m.id);
}
