import type { ConnectionStatus } from '../../../../shared/ipc/channels/connection';
import type { MachineView, MemberView, Topology } from '../../../../shared/model/topology';
import { IDLE_SNAPSHOT, type TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import type { AppState } from '../../store/app-state';

/**
 * Topology selectors: every one reads the selected environment's data only
 * (by id), so nothing of another environment is ever rendered under the
 * selected one's name. The list ones build new arrays: use them with
 * `useShallow`, so a component re-renders only when one of its machines
 * (an object kept identical while unchanged) is replaced.
 */

const NO_MACHINES: readonly MachineView[] = [];
const NO_MEMBERS: readonly MemberView[] = [];

/** One loading snapshot per environment id, so selectors return a stable object. */
const loading = new Map<string, TopologySnapshot>();
function loadingSnapshot(environmentId: string): TopologySnapshot {
  let snapshot = loading.get(environmentId);
  if (snapshot === undefined) {
    snapshot = Object.freeze({ environmentId, status: 'loading', topology: null, error: null });
    loading.set(environmentId, snapshot);
  }
  return snapshot;
}

/**
 * The selected environment's snapshot: idle when none is selected, loading
 * until main's first snapshot of it arrives.
 */
export const selectTopologySnapshot = (state: AppState): TopologySnapshot => {
  const id = state.environments.selectedId;
  if (id === null) return IDLE_SNAPSHOT;
  return state.topology.snapshots[id] ?? loadingSnapshot(id);
};

export const selectTopology = (state: AppState): Topology | null => selectTopologySnapshot(state).topology;

/** The selected environment's per-state-server connection states, or null until known. */
export const selectConnections = (state: AppState): ConnectionStatus | null => {
  const id = state.environments.selectedId;
  return id === null ? null : (state.topology.connections[id] ?? null);
};

export const selectStateServers = (state: AppState): readonly MachineView[] => selectTopology(state)?.machines.filter((m) => m.isStateServer) ?? NO_MACHINES;

export const selectOtherMachines = (state: AppState): readonly MachineView[] => selectTopology(state)?.machines.filter((m) => !m.isStateServer) ?? NO_MACHINES;

export const selectExtraMembers = (state: AppState): readonly MemberView[] => selectTopology(state)?.extraMembers ?? NO_MEMBERS;

/** The id of the machine whose details are open, if it is one of the selected environment's. */
export const selectSelectedMachineId = (state: AppState): string | null => {
  const selected = state.topology.selectedMachine;
  return selected !== null && selected.environmentId === state.environments.selectedId ? selected.machineId : null;
};

export const selectSelectedMachine = (state: AppState): MachineView | null => {
  const id = selectSelectedMachineId(state);
  if (id === null) return null;
  return selectTopology(state)?.machines.find((m) => m.id === id) ?? null;
};

/** Power controls exist only for the sandbox, whose machines are Quorum's own. */
export const selectIsSandbox = (state: AppState): boolean => {
  const selected = state.environments.items.find((e) => e.id === state.environments.selectedId);
  return selected?.kind === 'sandbox';
};

/** Whether a sandbox machine is powered on: what this window last did to it, else whether it answers. */
export const selectPoweredOn = (state: AppState, machine: MachineView): boolean => state.topology.powered[machine.id] ?? machine.reachable;

/** The selected environment's name (what every topology message names). */
export const selectEnvironmentName = (state: AppState): string | null =>
  state.environments.items.find((e) => e.id === state.environments.selectedId)?.name ?? null;
