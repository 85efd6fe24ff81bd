import type { StateCreator } from 'zustand/vanilla';
import type { QuorumApi } from '../../../shared/ipc/contract';
import type { ConnectionSlice } from './slices/connection-slice';
import type { EnvironmentsSlice } from './slices/environments-slice';
import type { NavigationSlice } from './slices/navigation-slice';
import type { OperationsSlice } from './slices/operations-slice';
import type { TopologySlice } from '../features/topology/topology-slice';
import type { BackupsSlice } from '../features/backups/backups-slice';
import type { HaSlice } from '../features/ha/ha-slice';
import type { RestoreSlice } from '../features/restore/restore-slice';
import type { ScheduleSlice } from '../features/backups/schedule-slice';

/**
 * The whole renderer state: the intersection of every slice. A feature adds
 * its slice here and in `create-app-store.ts` (one line each).
 */
export type AppState = ConnectionSlice & EnvironmentsSlice & OperationsSlice & NavigationSlice & TopologySlice & BackupsSlice & HaSlice & RestoreSlice & ScheduleSlice;

/** Middleware applied once, on the combined store (see `create-app-store.ts`). */
type AppMiddleware = [['zustand/subscribeWithSelector', never]];

/**
 * The shape every slice factory has: it gets the API once, and returns a
 * zustand slice creator that can read and write the whole state.
 */
export type SliceFactory<Slice> = (api: QuorumApi) => StateCreator<AppState, AppMiddleware, [], Slice>;
