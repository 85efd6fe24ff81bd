import type { QuorumApi } from '../../../shared/ipc/contract';
import type { AppStore } from './create-app-store';

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
    api.on('operation.finished', (snapshot) => getState().applyOperation(snapshot)),
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
