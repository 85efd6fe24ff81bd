import type { Environment } from '../../../shared/ipc/channels/environments';
import type { OperationSnapshot } from '../../../shared/ipc/operations';
import type { AppState } from './app-state';

/**
 * Selectors for components. Those that build a new array must be used with
 * `useShallow` so a component re-renders only when an element changes.
 */

export const selectEnvironmentItems = (state: AppState): readonly Environment[] => state.environments.items;

export const selectSelectedEnvironment = (state: AppState): Environment | null =>
  state.environments.items.find((environment) => environment.id === state.environments.selectedId) ?? null;

/** Manual environments only: the ones an operator may edit or remove. */
export const selectManualEnvironments = (state: AppState): Environment[] =>
  state.environments.items.filter((environment) => environment.kind === 'manual');

/** Operations in start order. */
export const selectOperations = (state: AppState): OperationSnapshot[] =>
  state.operations.order.flatMap((id) => {
    const snapshot = state.operations.byId[id];
    return snapshot === undefined ? [] : [snapshot];
  });

export const selectRunningOperations = (state: AppState): OperationSnapshot[] =>
  selectOperations(state).filter((operation) => operation.state === 'running');
