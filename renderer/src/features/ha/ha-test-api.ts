import { act } from '@testing-library/react';
import type { SerializedError } from '../../../../shared/errors';
import { formatEnsureAvailabilityResult, planToResultShape } from '../../../../shared/ha/changes';
import { ensureAvailabilityIntentions, guessNewMachineIds, type HaMachine } from '../../../../shared/ha/ensure-availability';
import { availableCounts, rerunHazard } from '../../../../shared/ha/guards';
import { machineTag } from '../../../../shared/ha/placement';
import type { BackupListItem } from '../../../../shared/ipc/channels/backups';
import type { EnsureAvailabilitySpec, HaMachine as HaMachineView, HaPreview, HaStatus, MapEntry, RecoveryPlan } from '../../../../shared/ipc/channels/ha';
import { requests, type QuorumApi, type RequestChannel } from '../../../../shared/ipc/contract';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import { summarizeQuorum } from '../../../../shared/model/quorum';
import type { MachineView, Topology } from '../../../../shared/model/topology';
import type { TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import { voteStatusOf } from '../../../../shared/model/vote-status';
import { createFakeApi, type FakeApi } from '../../testing/fake-api';

/**
 * A fake HA service for the page's tests: machines with Juju's vote flags,
 * from which it answers `ha.status`, `ha.preview` (through the same shared
 * rules the real service uses, so the lines are Juju's), the topology the
 * live view reads, and records `ha.apply` and friends.
 */

export interface FakeMachine {
  readonly id: string;
  readonly stateServer: boolean;
  readonly wants: boolean;
  readonly hasVote: boolean;
  readonly available: boolean;
  readonly agentState: string;
}

export function server(id: string, overrides: Partial<FakeMachine> = {}): FakeMachine {
  return { id, stateServer: true, wants: true, hasVote: true, available: true, agentState: 'started', ...overrides };
}

export function worker(id: string): FakeMachine {
  return { id, stateServer: false, wants: false, hasVote: false, available: true, agentState: 'started' };
}

const ENV = 'sandbox';
const address = (id: string) => `10.23.0.${10 + Number(id)}`;

function asRuleMachine(m: FakeMachine): HaMachine {
  return { id: m.id, jobs: m.stateServer ? ['JobHostUnits', 'JobManageEnviron'] : ['JobHostUnits'], noVote: !m.wants, hasVote: m.hasVote, available: m.available, series: 'trusty' };
}

function asView(m: FakeMachine): HaMachineView {
  return {
    machineId: m.id,
    address: address(m.id),
    series: 'trusty',
    agentState: m.agentState,
    isStateServer: m.stateServer,
    voteStatus: m.stateServer ? voteStatusOf(m.hasVote, m.wants) : null,
    wantsVote: m.stateServer && m.wants,
    hasVote: m.hasVote,
    available: m.available,
    isPrimary: m.id === '0' && m.available,
    memberHealthy: m.stateServer ? m.available : null,
  };
}

function quorumOf(machines: readonly FakeMachine[]) {
  const voters = machines.filter((m) => m.stateServer && m.hasVote);
  return summarizeQuorum(voters.length, voters.filter((m) => m.available).length);
}

export function statusOf(machines: readonly FakeMachine[], overrides: Partial<HaStatus> = {}): HaStatus {
  const servers = machines.filter((m) => m.stateServer);
  const votingCount = servers.filter((m) => m.wants).length;
  const quorum = quorumOf(machines);
  const hazards = rerunHazard(
    servers.map((m) => ({ ...asRuleMachine(m), agentStatus: m.agentState })),
  );
  const down = servers.some((m) => m.hasVote && !m.available);
  return {
    environmentId: ENV,
    facts: 'ready',
    factsError: null,
    observedAt: '2025-06-15T15:06:40.000Z',
    stateServers: servers.map(asView),
    placementCandidates: machines.filter((m) => !m.stateServer).map(asView),
    votingCount,
    hasVoteCount: servers.filter((m) => m.hasVote).length,
    stops: availableCounts(votingCount),
    hazards,
    adminPassword: 'jenv',
    quorum,
    quorumLost: !quorum.holds,
    recoverable: quorum.holds && down,
    settling: servers.some((m) => m.agentState === 'pending' || m.hasVote !== m.wants),
    applyOperationId: null,
    sentence: quorum.sentence,
    ...overrides,
  };
}

/** The preview as the service computes it: Juju's intentions, lines and map, from the shared rules. */
export function previewOf(machines: readonly FakeMachine[], spec: EnsureAvailabilitySpec): HaPreview {
  const rules = machines.map(asRuleMachine);
  const servers = machines.filter((m) => m.stateServer);
  const r = ensureAvailabilityIntentions({
    numStateServers: spec.n,
    placement: (spec.placement ?? []).map((p) => `#:${p}`),
    machines: rules,
    stateServers: { machineIds: servers.map((m) => m.id), votingMachineIds: servers.filter((m) => m.wants).map((m) => m.id) },
  });
  const before: MapEntry[] = servers.map((m) => ({ machineId: m.id, isNew: false, change: null, voteStatus: voteStatusOf(m.hasVote, m.wants), available: m.available }));
  const hazards = rerunHazard(servers.map((m) => ({ ...asRuleMachine(m), agentStatus: m.agentState })));
  if (!r.ok) return { environmentId: ENV, desired: null, lines: [], noOp: false, changes: {}, before, after: before, error: r.error, advice: 'Choose a count of at least the current voting count.', hazards };
  const plan = r.value;
  const newIds = guessNewMachineIds(machines.map((m) => m.id), plan.add);
  const changes = Object.fromEntries(Object.entries(planToResultShape(plan, newIds)).map(([k, v]) => [k, [...(v as readonly string[])]])) as HaPreview['changes'];
  const changeOf = (id: string): MapEntry['change'] =>
    plan.maintain.includes(id) ? 'maintain' : plan.promote.includes(id) ? 'promote' : plan.demote.includes(id) ? 'demote' : plan.remove.includes(id) ? 'remove' : plan.convert.includes(id) ? 'convert' : null;
  const after: MapEntry[] = [
    ...servers.filter((m) => !plan.remove.includes(m.id)).map((m) => ({ machineId: m.id, isNew: false, change: changeOf(m.id), voteStatus: voteStatusOf(m.hasVote, !plan.demote.includes(m.id) && m.wants), available: m.available })),
    ...plan.convert.map((id) => ({ machineId: id, isNew: false, change: 'convert' as const, voteStatus: 'adding-vote' as const, available: true })),
    ...newIds.map((id) => ({ machineId: id, isNew: true, change: 'add' as const, voteStatus: 'adding-vote' as const, available: false })),
  ];
  return { environmentId: ENV, desired: plan.desired, lines: formatEnsureAvailabilityResult(changes), noOp: plan.noOp, changes, before, after, error: null, advice: null, hazards };
}

/** The topology the live view and the quorum banner read. */
export function topologyOf(machines: readonly FakeMachine[]): TopologySnapshot {
  const views: MachineView[] = machines.map((m) => ({
    id: m.id,
    instanceId: m.agentState === 'pending' ? null : `i-${m.id.padStart(8, '0')}`,
    instanceState: m.agentState === 'pending' ? null : 'ACTIVE',
    address: address(m.id),
    series: 'trusty',
    hardware: null,
    agentState: m.available || m.agentState === 'pending' ? m.agentState : 'down',
    agentStateInfo: null,
    agentVersion: '1.25.6',
    jobs: m.stateServer ? ['JobHostUnits', 'JobManageEnviron'] : ['JobHostUnits'],
    life: 'alive',
    isStateServer: m.stateServer,
    voteStatus: m.stateServer ? voteStatusOf(m.hasVote, m.wants) : null,
    member: null,
    isPrimary: m.id === '0' && m.available,
    reachable: m.available || m.agentState === 'pending',
    stale: false,
  }));
  const topology: Topology = {
    environmentId: ENV,
    machines: views,
    primary: views.find((v) => v.isPrimary)?.id ?? null,
    quorum: quorumOf(machines),
    extraMembers: [],
    readFrom: '10.23.0.10:37017',
    stale: false,
    observedAt: '2025-06-15T15:06:40.000Z',
  };
  return { environmentId: ENV, status: 'ready', topology, error: null };
}

export function verifiedBackup(id: string, started: string): BackupListItem {
  return {
    id,
    location: 'both',
    localPath: `/backups/${id}.tar.gz`,
    checksumState: 'verified',
    metadata: { id, checksum: 'x=', checksumFormat: 'SHA-1, base64 encoded', size: 1, stored: started, started, finished: started, notes: '', environment: 'uuid', machine: '0', hostname: 'h', version: '1.25.6' },
  };
}

export interface HaTestApi extends QuorumApi {
  readonly calls: { channel: RequestChannel; request: unknown }[];
  readonly base: FakeApi;
  /** Replaces the machines and pushes `ha.changed` and `topology.changed`, as main does after a poll. */
  setMachines(machines: readonly FakeMachine[], overrides?: Partial<HaStatus>): void;
  setRecoveryPlan(plan: RecoveryPlan): void;
  setBackups(items: BackupListItem[]): void;
  failNext(channel: RequestChannel, error: SerializedError): void;
  /** Pushes an operation snapshot for the last `ha.apply`. */
  finishApply(state: OperationSnapshot['state'], result?: unknown, error?: SerializedError): void;
  progressApply(message: string): void;
}

export function haApi(initial: readonly FakeMachine[], overrides: Partial<HaStatus> = {}): HaTestApi {
  const base = createFakeApi();
  const calls: HaTestApi['calls'] = [];
  const failures = new Map<RequestChannel, SerializedError>();
  let machines = initial;
  let statusOverrides = overrides;
  let recovery: RecoveryPlan | null = null;
  let backups: BackupListItem[] = [];
  let ops = 0;
  const opId = () => `op-ha-apply-${String(ops).padStart(4, '0')}`;
  const snapshot = (state: OperationSnapshot['state'], message: string, extra: Partial<OperationSnapshot> = {}): OperationSnapshot => ({
    id: opId(),
    kind: 'ha.apply',
    environmentId: ENV,
    title: 'Ensure availability',
    state,
    startedAt: '2025-06-15T15:06:40.000Z',
    progress: { phase: 'waiting-for-votes', message },
    log: [],
    ...extra,
  });

  const api: HaTestApi = {
    calls,
    base,
    setMachines(next, o = {}) {
      machines = next;
      statusOverrides = o;
      act(() => {
        base.emit('ha.changed', statusOf(machines, statusOverrides));
        base.emit('topology.changed', topologyOf(machines));
      });
    },
    setRecoveryPlan: (plan) => (recovery = plan),
    setBackups: (items) => (backups = items),
    failNext: (c, e) => failures.set(c, e),
    finishApply(state, result, error) {
      act(() => base.emit('operation.finished', snapshot(state, 'Done', { ...(result === undefined ? {} : { result }), ...(error === undefined ? {} : { error }) })));
    },
    progressApply(message) {
      act(() => base.emit('operation.progress', snapshot('running', message)));
    },
    on: base.on.bind(base),
    async invoke(channel, request) {
      calls.push({ channel, request });
      await Promise.resolve();
      const failure = failures.get(channel);
      if (failure !== undefined) {
        failures.delete(channel);
        return { ok: false, error: failure };
      }
      const parsed = requests[channel].request.safeParse(request);
      if (!parsed.success) return { ok: false, error: { code: 'invalid-input', message: `Invalid request for ${channel}: ${parsed.error.message}` } } as never;
      const ok = (value: unknown) => ({ ok: true, value }) as never;
      switch (channel) {
        case 'topology.get':
        case 'topology.watch':
          return ok(topologyOf(machines));
        case 'connection.status':
          return ok({ environmentId: ENV, stateServers: [] });
        case 'ha.status':
          return ok(statusOf(machines, statusOverrides));
        case 'ha.preview':
          return ok(previewOf(machines, request as EnsureAvailabilitySpec));
        case 'ha.apply': {
          ops += 1;
          const id = opId();
          queueMicrotask(() => base.emit('operation.progress', snapshot('running', 'Calling HighAvailability.EnsureAvailability')));
          return ok({ operationId: id });
        }
        case 'ha.setAdminPassword':
          return ok({ verified: true });
        case 'ha.removeMachines':
          return ok({ removed: (request as { machineIds: string[] }).machineIds });
        case 'ha.recoveryPlan':
          return recovery === null ? ({ ok: false, error: { code: 'not-found', message: 'No recovery applies.' } } as never) : ok(recovery);
        case 'backups.list':
          return ok({ folder: '/backups', items: backups, invalid: [], serverError: null });
        case 'backups.create':
          return ok({ operationId: 'op-backup-0001' });
        default:
          return base.invoke(channel, request);
      }
    },
  };
  return api;
}

/** `machine-3` tags for result objects. */
export const tags = (...ids: string[]) => ids.map(machineTag);
