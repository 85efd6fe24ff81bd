import type { MachineView, Topology } from '../../../../shared/model/topology';
import { summarizeQuorum } from '../../../../shared/model/quorum';
import type { TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import { voteStatusOf, type VoteStatus } from '../../../../shared/model/vote-status';
import type { HaTopology } from '../ha-service';

/**
 * Topologies built by hand for HA unit tests, and a stand-in for the
 * topology service whose snapshot a test moves on step by step (pending →
 * started, adding-vote → has-vote), recording watch leases and refreshes.
 */

export interface MachineSpec {
  readonly id: string;
  /** State server with this vote status; omit for a workload machine. */
  readonly vote?: VoteStatus;
  readonly agent?: string;
  readonly primary?: boolean;
  /** Juju's agent presence; default: alive unless the agent is down or pending. */
  readonly present?: boolean | null;
}

export function machineView(spec: MachineSpec): MachineView {
  const ss = spec.vote !== undefined;
  const agent = spec.agent ?? 'started';
  const hasVote = spec.vote === 'has-vote' || spec.vote === 'removing-vote';
  const memberId = Number(spec.id);
  return {
    id: spec.id,
    instanceId: `i-${spec.id}`,
    instanceState: 'running',
    address: `10.23.0.${10 + Number(spec.id)}`,
    series: 'trusty',
    hardware: null,
    agentState: agent,
    agentStateInfo: null,
    agentVersion: '1.25.6',
    jobs: ss ? ['JobHostUnits', 'JobManageEnviron'] : ['JobHostUnits'],
    life: 'alive',
    isStateServer: ss,
    voteStatus: ss ? spec.vote! : null,
    member:
      ss && agent !== 'pending'
        ? { memberId, host: `10.23.0.${10 + memberId}:37017`, state: agent === 'down' ? 'UNKNOWN' : spec.primary ? 'PRIMARY' : 'SECONDARY', healthy: agent !== 'down', voting: hasVote, isPrimary: spec.primary === true, lagSeconds: 0, message: null }
        : null,
    isPrimary: spec.primary === true,
    reachable: agent !== 'down',
    agentPresent: spec.present === undefined ? agent !== 'down' && agent !== 'pending' : spec.present,
    stale: false,
  };
}

export function topologyOf(specs: readonly MachineSpec[], environmentId = 'sandbox'): Topology {
  const machines = specs.map(machineView);
  const voters = machines.filter((m) => m.member?.voting === true);
  return {
    environmentId,
    machines,
    primary: machines.find((m) => m.isPrimary)?.id ?? null,
    quorum: summarizeQuorum(voters.length, voters.filter((m) => m.member?.healthy).length),
    extraMembers: [],
    readFrom: '10.23.0.10',
    stale: false,
    observedAt: new Date().toISOString(),
  };
}

export class FakeTopology implements HaTopology {
  #snapshot: TopologySnapshot;
  readonly leases = new Map<string, boolean>();
  refreshes = 0;
  onRefresh: (() => void) | null = null;

  constructor(specs: readonly MachineSpec[], environmentId = 'sandbox') {
    this.#snapshot = { environmentId, status: 'ready', topology: topologyOf(specs, environmentId), error: null };
  }

  set(specs: readonly MachineSpec[]): void {
    const id = this.#snapshot.environmentId ?? 'sandbox';
    this.#snapshot = { environmentId: id, status: 'ready', topology: topologyOf(specs, id), error: null };
  }

  setSnapshot(snapshot: TopologySnapshot): void {
    this.#snapshot = snapshot;
  }

  snapshot(): TopologySnapshot {
    return this.#snapshot;
  }

  watch(watcher: string, active: boolean): TopologySnapshot {
    this.leases.set(watcher, active);
    return this.#snapshot;
  }

  async refresh(): Promise<void> {
    this.refreshes++;
    this.onRefresh?.();
  }
}

export { voteStatusOf };
