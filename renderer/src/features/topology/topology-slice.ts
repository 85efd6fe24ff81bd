import type { SerializedError } from '../../../../shared/errors';
import type { ConnectionStatus } from '../../../../shared/ipc/channels/connection';
import { deepEqual, shareUnchanged } from '../../../../shared/model/topology';
import { IDLE_SNAPSHOT, type TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';

/** What a machine's power button is doing right now. */
export type PowerAction = 'powering-off' | 'powering-on';

export interface TopologySlice {
  readonly topology: {
    /**
     * The latest snapshot main published. Unchanged machines keep their
     * object identity across updates, so memoized cards and rows skip them.
     */
    readonly snapshot: TopologySnapshot;
    readonly selectedMachineId: string | null;
    /** Sandbox power actions in flight, by machine id. */
    readonly power: Readonly<Record<string, PowerAction>>;
    /** Why the last power action (or host-key trust) failed. */
    readonly actionError: SerializedError | null;
    /**
     * Per-state-server connection state of the selected environment, so a
     * host-key problem shows on its machine even while others still answer.
     */
    readonly connections: ConnectionStatus | null;
    /** Host-key prompts the operator cancelled (by `host:port fingerprint`), not shown again unasked. */
    readonly dismissedHostKeys: readonly string[];
  };
  /** Applies a snapshot from `topology.changed` or a request, sharing unchanged machines. */
  applyTopologySnapshot(snapshot: TopologySnapshot): void;
  /** Starts (or renews) this window's watch, which keeps main polling; false ends it. */
  watchTopology(active: boolean): Promise<void>;
  selectMachine(id: string | null): void;
  /** Sandbox only: power a machine off or on. */
  powerMachine(id: string, on: boolean): Promise<void>;
  dismissTopologyError(): void;
  /** Sandbox only: give a machine a new SSH host key (Quorum must then refuse it); resolves to its fingerprint. */
  rotateHostKey(id: string): Promise<string | null>;
  applyConnectionStatus(status: ConnectionStatus): void;
  /** Trusts the key `host:port` presents if it still has `fingerprint` (the operator compared it). */
  trustHostKey(host: string, port: number, fingerprint: string): Promise<boolean>;
  dismissHostKey(key: string): void;
}

export const createTopologySlice: SliceFactory<TopologySlice> = (api) => (set, get) => ({
  topology: { snapshot: IDLE_SNAPSHOT, selectedMachineId: null, power: {}, actionError: null, connections: null, dismissedHostKeys: [] },

  applyTopologySnapshot: (next) =>
    set((state) => {
      const previous = state.topology.snapshot;
      const sameEnvironment = previous.environmentId === next.environmentId;
      const topology = sameEnvironment && previous.topology !== null && next.topology !== null ? shareUnchanged(previous.topology, next.topology) : next.topology;
      const unchanged = sameEnvironment && topology === previous.topology && next.status === previous.status && deepEqual(next.error, previous.error);
      const snapshot = unchanged ? previous : { ...next, topology };
      if (snapshot === previous) return state;
      return {
        topology: {
          ...state.topology,
          snapshot,
          selectedMachineId: sameEnvironment ? state.topology.selectedMachineId : null,
          power: sameEnvironment ? state.topology.power : {},
          connections: sameEnvironment ? state.topology.connections : null,
        },
      };
    }),

  watchTopology: async (active) => {
    const result = await call(api, 'topology.watch', { active });
    if (!result.ok || !active) return;
    get().applyTopologySnapshot(result.value);
    const environmentId = result.value.environmentId;
    if (environmentId === null) return;
    const status = await call(api, 'connection.status', { environmentId });
    if (status.ok) get().applyConnectionStatus(status.value);
  },

  applyConnectionStatus: (status) =>
    set((state) => (status.environmentId === state.topology.snapshot.environmentId ? { topology: { ...state.topology, connections: status } } : state)),

  trustHostKey: async (host, port, fingerprint) => {
    const environmentId = get().topology.snapshot.environmentId;
    if (environmentId === null) return false;
    const result = await call(api, 'connection.trustHostKey', { environmentId, host, port, fingerprint });
    set((state) => ({ topology: { ...state.topology, actionError: result.ok ? null : result.error } }));
    return result.ok;
  },

  dismissHostKey: (key) =>
    set((state) => ({ topology: { ...state.topology, dismissedHostKeys: [...state.topology.dismissedHostKeys, key] } })),

  selectMachine: (id) => set((state) => ({ topology: { ...state.topology, selectedMachineId: id } })),

  powerMachine: async (id, on) => {
    set((state) => ({ topology: { ...state.topology, power: { ...state.topology.power, [id]: on ? 'powering-on' : 'powering-off' }, actionError: null } }));
    const result = await call(api, on ? 'sandbox.powerOn' : 'sandbox.powerOff', { machineId: id });
    set((state) => {
      const power = { ...state.topology.power };
      delete power[id];
      return { topology: { ...state.topology, power, actionError: result.ok ? null : result.error } };
    });
  },

  rotateHostKey: async (id) => {
    const result = await call(api, 'sandbox.rotateHostKey', { machineId: id });
    set((state) => ({ topology: { ...state.topology, actionError: result.ok ? null : result.error } }));
    return result.ok ? result.value.fingerprint : null;
  },

  dismissTopologyError: () => set((state) => ({ topology: { ...state.topology, actionError: null } })),
});
