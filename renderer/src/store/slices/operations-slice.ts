import type { SerializedError } from '../../../../shared/errors';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import type { SliceFactory } from '../app-state';
import { call } from '../call';

export interface OperationsSlice {
  readonly operations: {
    /** Latest snapshot per operation id. */
    readonly byId: Readonly<Record<string, OperationSnapshot>>;
    /** Ids, oldest first, so the tray lists them in a stable order. */
    readonly order: readonly string[];
    readonly loadError: SerializedError | null;
  };
  /** Catches up after a (re)load: `operations.list` returns running and recently finished jobs. */
  loadOperations(): Promise<void>;
  /** Applies an `operation.progress` or `operation.finished` snapshot. */
  applyOperation(snapshot: OperationSnapshot): void;
  cancelOperation(operationId: string): Promise<SerializedError | null>;
}

/**
 * Events and the catch-up list can arrive in either order; a terminal
 * snapshot is final, so a late `running` one never brings a finished
 * operation back to life.
 */
export function mergeOperation(current: OperationSnapshot | undefined, next: OperationSnapshot): OperationSnapshot {
  if (current === undefined) return next;
  if (current.state !== 'running' && next.state === 'running') return current;
  return next;
}

export const createOperationsSlice: SliceFactory<OperationsSlice> = (api) => (set, get) => ({
  operations: { byId: {}, order: [], loadError: null },

  applyOperation: (snapshot) =>
    set((state) => {
      const { byId, order } = state.operations;
      const merged = mergeOperation(byId[snapshot.id], snapshot);
      if (merged === byId[snapshot.id]) return state;
      return {
        operations: {
          ...state.operations,
          byId: { ...byId, [snapshot.id]: merged },
          order: snapshot.id in byId ? order : [...order, snapshot.id],
        },
      };
    }),

  loadOperations: async () => {
    const result = await call(api, 'operations.list', {});
    if (!result.ok) {
      set((state) => ({ operations: { ...state.operations, loadError: result.error } }));
      return;
    }
    const sorted = [...result.value.operations].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (const snapshot of sorted) get().applyOperation(snapshot);
    set((state) => ({ operations: { ...state.operations, loadError: null } }));
  },

  cancelOperation: async (operationId) => {
    const result = await call(api, 'operations.cancel', { operationId });
    return result.ok ? null : result.error;
  },
});
