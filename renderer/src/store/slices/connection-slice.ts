import type { ResponseOf } from '../../../../shared/ipc/contract';
import type { SerializedError } from '../../../../shared/errors';
import type { SliceFactory } from '../app-state';
import { call } from '../call';

/**
 * `connecting` until the host answers for the first time, `connected` while
 * it does, `lost` when the transport dropped (the shell then says so and the
 * bridge reconnects), `restarted` when the browser-mode host refused this
 * page's token (a new launch: only its new address works; no reconnecting).
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'lost' | 'restarted';

export type AppInfo = ResponseOf<'app.info'>;

export interface ConnectionSlice {
  readonly connection: {
    readonly status: ConnectionStatus;
    readonly appInfo: AppInfo | null;
    readonly error: SerializedError | null;
    /** Reconnects now (browser mode's bridge); null where there is no transport to lose. */
    readonly reconnect: (() => void) | null;
  };
  setConnectionStatus(status: ConnectionStatus): void;
  setReconnect(reconnect: () => void): void;
  loadAppInfo(): Promise<void>;
  /** Retries the environment's state servers now (the Retry beside an error that says to retry); false when main refused. */
  retryConnection(environmentId: string): Promise<boolean>;
}

export const createConnectionSlice: SliceFactory<ConnectionSlice> = (api) => (set) => ({
  connection: { status: 'connecting', appInfo: null, error: null, reconnect: null },
  setReconnect: (reconnect) => set((state) => ({ connection: { ...state.connection, reconnect } })),
  setConnectionStatus: (status) => set((state) => ({ connection: { ...state.connection, status } })),
  retryConnection: async (environmentId) => (await call(api, 'connection.retry', { environmentId })).ok,
  loadAppInfo: async () => {
    const result = await call(api, 'app.info', {});
    set((state) => ({
      connection: result.ok
        ? { ...state.connection, status: 'connected', appInfo: result.value, error: null }
        : { ...state.connection, error: result.error },
    }));
  },
});
