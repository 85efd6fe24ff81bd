import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import type { AppState } from '../../store/app-state';
import type { PlanState } from './backups-slice';

/**
 * Backups selectors: each reads the selected environment's data only, so
 * nothing of another environment shows under the selected one's name.
 */

/** One loading state per environment id, so the selector returns a stable object. */
const loading = new Map<string, PlanState>();

/** The selected environment's plan: loading until its own answer arrives. */
export const selectPlanState = (state: AppState): PlanState | null => {
  const id = state.environments.selectedId;
  if (id === null) return null;
  const plan = state.backups.plan;
  if (plan !== null && plan.environmentId === id) return plan;
  let pending = loading.get(id);
  if (pending === undefined) {
    pending = Object.freeze({ environmentId: id, status: 'loading' });
    loading.set(id, pending);
  }
  return pending;
};

/** True when the list in the store is the selected environment's. */
export const selectListIsSelected = (state: AppState): boolean => state.backups.environmentId === state.environments.selectedId;

/** The backup this window started last, if it is of the selected environment. */
export const selectCreateOperation = (state: AppState): OperationSnapshot | undefined => {
  const id = state.backups.createOperationId;
  const operation = id === null ? undefined : state.operations.byId[id];
  return operation?.environmentId === state.environments.selectedId ? operation : undefined;
};

/** A backup of the selected environment is running (started here or elsewhere). */
export const selectBackupRunning = (state: AppState): boolean => {
  const id = state.environments.selectedId;
  return Object.values(state.operations.byId).some((op) => op.kind === 'backup.create' && op.environmentId === id && op.state === 'running');
};

const NO_ITEMS: AppState['backups']['items'] = [];
const NO_INVALID: AppState['backups']['invalid'] = [];

/** The archives listed for the selected environment (none while another's list is in the store). */
export const selectBackupItems = (state: AppState): AppState['backups']['items'] => (selectListIsSelected(state) ? state.backups.items : NO_ITEMS);

export const selectInvalidArchives = (state: AppState): AppState['backups']['invalid'] => (selectListIsSelected(state) ? state.backups.invalid : NO_INVALID);
