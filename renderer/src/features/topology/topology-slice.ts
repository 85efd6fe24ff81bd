import type { SerializedError } from '../../../../shared/errors';
import type { ConnectionStatus } from '../../../../shared/ipc/channels/connection';
import { deepEqual, shareUnchanged, type Topology } from '../../../../shared/model/topology';
import type { TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';

/** What a machine's power button is doing right now. */
export type PowerAction = 'powering-off' | 'powering-on';

/**
 * The topology state, keyed by environment id. Main's snapshots, connection
 * statuses and this window's selection all say which environment they are
 * about, and arrive in any order around a switch (main announces the new
 * selection before its first snapshot; a reply or event about the old one
 * may come late). Components read them through `selectors.ts`, which show
 * only what belongs to the selected environment (a loading state until its
 * first snapshot), so one environment's machines never appear under
 * another's name.
 */
export interface TopologySlice {
  readonly topology: {
    /**
     * The latest snapshot main published, by environment. Unchanged machines
     * keep their object identity across updates, so memoized cards and rows
     * skip them. Only the selected environment's (and one that arrived just
     * before main's selection did) is kept across a switch.
     */
    readonly snapshots: Readonly<Record<string, TopologySnapshot>>;
    /** The machine whose details are open, and in which environment. */
    readonly selectedMachine: { readonly environmentId: string; readonly machineId: string } | null;
    /** Sandbox power actions in flight, by machine id. */
    readonly power: Readonly<Record<string, PowerAction>>;
    /**
     * Power states this window set (true: on), by machine id, until the
     * topology agrees (a powered-off machine shows down only once its member
     * or agent presence lapses). Absent: the topology's `reachable` says.
     */
    readonly powered: Readonly<Record<string, boolean>>;
    /** Why the last power action (or host-key trust) failed. */
    readonly actionError: SerializedError | null;
    /** The power action `actionError` is about, for its Retry (null for other actions). */
    readonly actionRetry: { readonly machineId: string; readonly on: boolean } | null;
    /**
     * Per-state-server connection states by environment, so a host-key
     * problem shows on its machine even while others still answer.
     */
    readonly connections: Readonly<Record<string, ConnectionStatus>>;
    /** Host-key prompts the operator cancelled (by `host:port fingerprint`), not shown again unasked. */
    readonly dismissedHostKeys: readonly string[];
  };
  /** Applies a snapshot from `topology.changed` or a request, sharing unchanged machines. */
  applyTopologySnapshot(snapshot: TopologySnapshot): void;
  /** Main selected another environment: drop what belongs to the others and the open details. */
  topologyEnvironmentSelected(environmentId: string | null): void;
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

/** Refusals a second try would meet again (not the sandbox, no such machine): no Retry for those. */
const NOT_RETRIED: ReadonlySet<string> = new Set(['forbidden', 'invalid-input', 'not-found']);

function only<T>(record: Readonly<Record<string, T>>, key: string | null): Record<string, T> {
  const value = key === null ? undefined : record[key];
  return key === null || value === undefined ? {} : { [key]: value };
}

/** Drops the power states the topology now shows by itself (a fresh read, not the last known one). */
function settledPower(powered: Readonly<Record<string, boolean>>, topology: Topology | null): Readonly<Record<string, boolean>> {
  const ids = Object.keys(powered);
  if (ids.length === 0 || topology === null || topology.stale) return powered;
  const left = { ...powered };
  for (const machine of topology.machines) if (left[machine.id] === machine.reachable) delete left[machine.id];
  return Object.keys(left).length === ids.length ? powered : left;
}

export const createTopologySlice: SliceFactory<TopologySlice> = (api) => (set, get) => ({
  topology: { snapshots: {}, selectedMachine: null, power: {}, powered: {}, actionError: null, actionRetry: null, connections: {}, dismissedHostKeys: [] },

  applyTopologySnapshot: (next) =>
    set((state) => {
      const environmentId = next.environmentId;
      if (environmentId === null) return state;
      const previous = state.topology.snapshots[environmentId];
      const topology = previous?.topology != null && next.topology !== null ? shareUnchanged(previous.topology, next.topology) : next.topology;
      const unchanged = previous !== undefined && topology === previous.topology && next.status === previous.status && deepEqual(next.error, previous.error);
      if (unchanged) return state;
      return {
        topology: {
          ...state.topology,
          snapshots: { ...state.topology.snapshots, [environmentId]: { ...next, topology } },
          powered: environmentId === state.environments.selectedId ? settledPower(state.topology.powered, topology) : state.topology.powered,
        },
      };
    }),

  topologyEnvironmentSelected: (environmentId) =>
    set((state) => ({
      topology: {
        ...state.topology,
        snapshots: only(state.topology.snapshots, environmentId),
        connections: only(state.topology.connections, environmentId),
        selectedMachine: state.topology.selectedMachine?.environmentId === environmentId ? state.topology.selectedMachine : null,
        powered: {},
        actionError: null,
        actionRetry: null,
      },
    })),

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
    set((state) => ({ topology: { ...state.topology, connections: { ...state.topology.connections, [status.environmentId]: status } } })),

  trustHostKey: async (host, port, fingerprint) => {
    const environmentId = get().environments.selectedId;
    if (environmentId === null) return false;
    const result = await call(api, 'connection.trustHostKey', { environmentId, host, port, fingerprint });
    set((state) => ({ topology: { ...state.topology, actionError: result.ok ? null : result.error, actionRetry: null } }));
    return result.ok;
  },

  dismissHostKey: (key) =>
    set((state) => ({ topology: { ...state.topology, dismissedHostKeys: [...state.topology.dismissedHostKeys, key] } })),

  selectMachine: (id) =>
    set((state) => {
      const environmentId = state.environments.selectedId;
      return { topology: { ...state.topology, selectedMachine: id === null || environmentId === null ? null : { environmentId, machineId: id } } };
    }),

  powerMachine: async (id, on) => {
    set((state) => ({ topology: { ...state.topology, power: { ...state.topology.power, [id]: on ? 'powering-on' : 'powering-off' }, actionError: null, actionRetry: null } }));
    const result = await call(api, on ? 'sandbox.powerOn' : 'sandbox.powerOff', { machineId: id });
    set((state) => {
      const power = { ...state.topology.power };
      delete power[id];
      const powered = result.ok ? { ...state.topology.powered, [id]: on } : state.topology.powered;
      return { topology: { ...state.topology, power, powered, actionError: result.ok ? null : result.error, actionRetry: result.ok || NOT_RETRIED.has(result.error.code) ? null : { machineId: id, on } } };
    });
  },

  rotateHostKey: async (id) => {
    const result = await call(api, 'sandbox.rotateHostKey', { machineId: id });
    set((state) => ({ topology: { ...state.topology, actionError: result.ok ? null : result.error, actionRetry: null } }));
    return result.ok ? result.value.fingerprint : null;
  },

  dismissTopologyError: () => set((state) => ({ topology: { ...state.topology, actionError: null, actionRetry: null } })),
});
