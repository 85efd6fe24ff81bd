import type { MachineView, MemberView, Topology } from '../../../../shared/model/topology';
import type { AppState } from '../../store/app-state';

/**
 * Topology selectors. The list ones build new arrays: use them with
 * `useShallow`, so a component re-renders only when one of its machines
 * (an object kept identical while unchanged) is replaced.
 */

const NO_MACHINES: readonly MachineView[] = [];
const NO_MEMBERS: readonly MemberView[] = [];

export const selectTopology = (state: AppState): Topology | null => state.topology.snapshot.topology;

export const selectStateServers = (state: AppState): readonly MachineView[] =>
  state.topology.snapshot.topology?.machines.filter((m) => m.isStateServer) ?? NO_MACHINES;

export const selectOtherMachines = (state: AppState): readonly MachineView[] =>
  state.topology.snapshot.topology?.machines.filter((m) => !m.isStateServer) ?? NO_MACHINES;

export const selectExtraMembers = (state: AppState): readonly MemberView[] => state.topology.snapshot.topology?.extraMembers ?? NO_MEMBERS;

export const selectSelectedMachine = (state: AppState): MachineView | null => {
  const id = state.topology.selectedMachineId;
  if (id === null) return null;
  return state.topology.snapshot.topology?.machines.find((m) => m.id === id) ?? null;
};

/** Power controls exist only for the sandbox, whose machines are Quorum's own. */
export const selectIsSandbox = (state: AppState): boolean => {
  const selected = state.environments.items.find((e) => e.id === state.environments.selectedId);
  return selected?.kind === 'sandbox' && state.topology.snapshot.environmentId === selected.id;
};
