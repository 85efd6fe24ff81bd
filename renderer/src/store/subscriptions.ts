import type { QuorumApi } from '../../../shared/ipc/contract';
import type { AppStore } from './create-app-store';
import type { ConnectionStatus } from './slices/connection-slice';

/**
 * Wires main-process events into the store, outside React, then loads what a
 * fresh (or reloaded) window needs. Subscribing before loading means no event
 * is missed in between; the slices merge events and lists in either order.
 *
 * Returns a function that removes every subscription.
 */
export function startSubscriptions(store: AppStore, api: QuorumApi): () => void {
  const { getState } = store;
  const unsubscribers = [
    api.on('environments.changed', (list) => getState().applyEnvironmentList(list)),
    api.on('operation.progress', (snapshot) => getState().applyOperation(snapshot)),
    api.on('operation.finished', (snapshot) => {
      getState().applyOperation(snapshot);
      getState().applyRestoreOperation(snapshot);
    }),
    api.on('topology.changed', (snapshot) => getState().applyTopologySnapshot(snapshot)),
    api.on('connection.changed', (status) => getState().applyConnectionStatus(status)),
    api.on('backups.changed', ({ environmentId }) => getState().onBackupsChanged(environmentId)),
    api.on('ha.changed', (status) => getState().applyHaStatus(status)),
    api.on('ha.applyProgress', (progress) => getState().applyHaProgress(progress)),
    api.on('restore.progress', (run) => getState().applyRestoreRun(run)),
    api.on('schedule.changed', (state) => getState().applyScheduleState(state)),
    // Environment-scoped slices drop the previous environment's data as soon as the selection changes.
    store.subscribe(
      (state) => state.environments.selectedId,
      (environmentId) => {
        getState().topologyEnvironmentSelected(environmentId);
        getState().backupsEnvironmentSelected(environmentId);
      },
    ),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

/**
 * Loads everything the shell shows. Called once at start and again after the
 * bridge reconnects, so a window catches up with whatever happened meanwhile.
 */
export async function refreshAll(store: AppStore): Promise<void> {
  const state = store.getState();
  await Promise.all([state.loadAppInfo(), state.loadEnvironments(), state.loadOperations()]);
}

/** The transport status a bridge reports (browser mode can lose its WebSocket; Electron cannot). */
export interface TransportStatusSource {
  status(): ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** Reconnects now instead of at the end of the backoff (browser mode). */
  reconnectNow?(): void;
}

/**
 * Mirrors the bridge's transport status into the store (the shell shows a
 * banner while it is `lost`) and reloads everything after a reconnect, since
 * events sent while the socket was down are gone.
 */
export function followTransport(store: AppStore, transport: TransportStatusSource): () => void {
  let wasLost = false;
  const apply = (status: ConnectionStatus) => {
    store.getState().setConnectionStatus(status);
    if (status === 'lost') wasLost = true;
    if (status === 'connected' && wasLost) {
      wasLost = false;
      void refreshAll(store);
    }
  };
  if (transport.reconnectNow !== undefined) store.getState().setReconnect(() => transport.reconnectNow?.());
  apply(transport.status());
  return transport.onStatus(apply);
}
