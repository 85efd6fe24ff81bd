import { subscribeWithSelector } from 'zustand/middleware';
import { createStore } from 'zustand/vanilla';
import type { QuorumApi } from '../../../shared/ipc/contract';
import type { AppState } from './app-state';
import { createConnectionSlice } from './slices/connection-slice';
import { createEnvironmentsSlice } from './slices/environments-slice';
import { createNavigationSlice } from './slices/navigation-slice';
import { createOperationsSlice } from './slices/operations-slice';
import { createTopologySlice } from '../features/topology/topology-slice';
import { createBackupsSlice } from '../features/backups/backups-slice';
import { createHaSlice } from '../features/ha/ha-slice';
import { createRestoreSlice } from '../features/restore/restore-slice';
import { createScheduleSlice } from '../features/backups/schedule-slice';

/**
 * Builds the renderer's one store from its slices. It takes the API rather
 * than reaching for a global, so every test builds a fresh store over a fake
 * API. Middleware is applied here, on the combined store only.
 *
 * To add a slice: write `slices/<name>-slice.ts` exporting a `SliceFactory`,
 * add its type to `AppState` in `app-state.ts`, and spread it below.
 */
export function createAppStore(api: QuorumApi) {
  return createStore<AppState>()(
    subscribeWithSelector((...args) => ({
      ...createConnectionSlice(api)(...args),
      ...createEnvironmentsSlice(api)(...args),
      ...createOperationsSlice(api)(...args),
      ...createNavigationSlice(api)(...args),
      ...createTopologySlice(api)(...args),
      ...createBackupsSlice(api)(...args),
      ...createHaSlice(api)(...args),
      ...createRestoreSlice(api)(...args),
      ...createScheduleSlice(api)(...args),
    })),
  );
}

export type AppStore = ReturnType<typeof createAppStore>;
