import type { SerializedError } from '../../../../shared/errors';
import type { BackupInfo, BackupListItem, BackupPlan, CreateBackupRequest } from '../../../../shared/ipc/channels/backups';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';

/** A local archive main could not read, with the reason. */
export interface InvalidArchive {
  readonly localPath: string;
  readonly reason: string;
}

/**
 * The create form's plan for one environment, in exactly one state:
 * `loading` (connecting to the state servers and reading the replica set),
 * `error` (why not, at once), or `ready`.
 */
export type PlanState =
  | { readonly environmentId: string; readonly status: 'loading' }
  | { readonly environmentId: string; readonly status: 'error'; readonly error: SerializedError }
  | { readonly environmentId: string; readonly status: 'ready'; readonly plan: BackupPlan };

export interface BackupsSlice {
  readonly backups: {
    /** The environment the list (items, invalid, errors, folder) belongs to. */
    readonly environmentId: string | null;
    /** The last plan asked for (see `selectPlanState` for the selected environment's). */
    readonly plan: PlanState | null;
    readonly folder: string | null;
    readonly items: readonly BackupListItem[];
    readonly invalid: readonly InvalidArchive[];
    readonly serverError: SerializedError | null;
    readonly listStatus: 'idle' | 'loading' | 'ready' | 'failed';
    readonly listError: SerializedError | null;
    /** The backup.create operation this window started last (its progress and result come from the operations slice). */
    readonly createOperationId: string | null;
    readonly createError: SerializedError | null;
    /** What the last Create backup asked for: Retry backup asks for the same backup again. */
    readonly createRequest: CreateBackupRequest | null;
    /** The last per-row action's error or confirmation message. */
    readonly actionError: SerializedError | null;
    readonly actionMessage: string | null;
    /** The Retry beside `actionError` ("Retry verify", …): `retryBackupAction` runs the failed action again on the same backup. */
    readonly actionRetry: string | null;
    readonly info: BackupInfo | null;
  };
  loadBackupPlan(environmentId: string): Promise<void>;
  /** Main selected another environment: forget the previous one's list, plan, messages and info. */
  backupsEnvironmentSelected(environmentId: string | null): void;
  loadBackups(environmentId: string, folder?: string): Promise<void>;
  /** Starts a backup; also used by the topology page's Create backup button. */
  createBackup(request: CreateBackupRequest): Promise<string | null>;
  /** Re-lists after main says the list changed (for the environment shown). */
  onBackupsChanged(environmentId: string): void;
  showBackupInfo(target: { id: string } | { localPath: string }): Promise<void>;
  closeBackupInfo(): void;
  verifyBackup(target: { id: string } | { localPath: string }): Promise<void>;
  downloadBackup(id: string): Promise<void>;
  uploadBackup(localPath: string): Promise<void>;
  removeBackup(id: string): Promise<void>;
  deleteLocalBackup(localPath: string): Promise<void>;
  revealBackup(localPath: string): Promise<void>;
  dismissBackupMessage(): void;
  retryBackupAction(): Promise<void>;
}

export const createBackupsSlice: SliceFactory<BackupsSlice> = (api) => (set, get) => {
  const patch = (p: Partial<BackupsSlice['backups']>) => set((s) => ({ backups: { ...s.backups, ...p } }));
  const env = (): string | null => get().backups.environmentId ?? get().environments.selectedId;
  /** Bumped by every plan request: only the latest one's answer is shown. */
  let planRequest = 0;
  /** The last per-row action, for its Retry. */
  let lastAction: (() => Promise<void>) | null = null;
  /** Runs a per-row action; its error carries a Retry named `retry` that runs it again. */
  const rowAction = async (retry: string, action: () => Promise<void>) => {
    lastAction = action;
    patch({ actionRetry: retry });
    await action();
  };
  const startOp = async (run: () => ReturnType<typeof call<'backups.verify'>>, message: string) => {
    const r = await run();
    if (!r.ok) patch({ actionError: r.error, actionMessage: null });
    else patch({ actionError: null, actionMessage: message });
  };

  return {
    backups: {
      environmentId: null,
      plan: null,
      folder: null,
      items: [],
      invalid: [],
      serverError: null,
      listStatus: 'idle',
      listError: null,
      createOperationId: null,
      createError: null,
      createRequest: null,
      actionError: null,
      actionMessage: null,
      actionRetry: null,
      info: null,
    },

    loadBackupPlan: async (environmentId) => {
      const request = ++planRequest;
      patch({ plan: { environmentId, status: 'loading' } });
      const r = await call(api, 'backups.plan', { environmentId });
      if (request !== planRequest) return;
      patch({ plan: r.ok ? { environmentId, status: 'ready', plan: r.value } : { environmentId, status: 'error', error: r.error } });
    },

    backupsEnvironmentSelected: (environmentId) => {
      const b = get().backups;
      if (b.environmentId === environmentId) return;
      patch({
        environmentId,
        items: [],
        invalid: [],
        serverError: null,
        listStatus: 'idle',
        listError: null,
        plan: b.plan?.environmentId === environmentId ? b.plan : null,
        createError: null,
        actionError: null,
        actionMessage: null,
        actionRetry: null,
        info: null,
      });
    },

    loadBackups: async (environmentId, folder) => {
      const changedEnv = get().backups.environmentId !== environmentId;
      // One state at a time: the previous answer's errors go while the list is read again.
      patch({ environmentId, listStatus: 'loading', listError: null, serverError: null, ...(changedEnv ? { items: [], invalid: [] } : {}) });
      const f = folder ?? get().backups.folder ?? undefined;
      const r = await call(api, 'backups.list', f === undefined ? { environmentId } : { environmentId, folder: f });
      if (get().backups.environmentId !== environmentId) return;
      if (r.ok) {
        patch({ listStatus: 'ready', listError: null, folder: r.value.folder, items: r.value.items, invalid: r.value.invalid, serverError: r.value.serverError });
      } else {
        patch({ listStatus: 'failed', listError: r.error });
      }
    },

    createBackup: async (request) => {
      patch({ createError: null, createRequest: request });
      const r = await call(api, 'backups.create', request);
      if (!r.ok) {
        patch({ createError: r.error });
        return null;
      }
      patch({ createOperationId: r.value.operationId, environmentId: request.environmentId });
      return r.value.operationId;
    },

    onBackupsChanged: (environmentId) => {
      if (get().backups.environmentId === environmentId) void get().loadBackups(environmentId);
    },

    showBackupInfo: (target) =>
      rowAction('Retry info', async () => {
        const environmentId = env();
        if (environmentId === null) return;
        const r = await call(api, 'backups.info', { environmentId, ...target });
        if (r.ok) patch({ info: r.value, actionError: null });
        else patch({ actionError: r.error });
      }),

    closeBackupInfo: () => patch({ info: null }),

    verifyBackup: (target) =>
      rowAction('Retry verify', async () => {
        const environmentId = env();
        if (environmentId === null) return;
        await startOp(() => call(api, 'backups.verify', { environmentId, ...target }), 'Verifying the checksum…');
      }),

    downloadBackup: (id) => {
      // The folder it was asked for, kept for the Retry.
      const folder = get().backups.folder;
      return rowAction('Retry download', async () => {
        const environmentId = env();
        if (environmentId === null) return;
        await startOp(() => call(api, 'backups.download', { environmentId, id, ...(folder ? { folder } : {}) }), `Downloading ${id}…`);
      });
    },

    uploadBackup: (localPath) =>
      rowAction('Retry upload', async () => {
        const environmentId = env();
        if (environmentId === null) return;
        await startOp(() => call(api, 'backups.upload', { environmentId, localPath }), 'Uploading to the state server…');
      }),

    removeBackup: (id) =>
      rowAction('Retry remove', async () => {
        const environmentId = env();
        if (environmentId === null) return;
        const r = await call(api, 'backups.remove', { environmentId, id });
        if (r.ok) {
          patch({ actionError: null, actionMessage: `successfully removed: ${r.value.removed}` });
          await get().loadBackups(environmentId);
        } else patch({ actionError: r.error, actionMessage: null });
      }),

    deleteLocalBackup: (localPath) =>
      rowAction('Retry delete', async () => {
        const r = await call(api, 'backups.deleteLocal', { localPath });
        if (r.ok) {
          patch({ actionError: null, actionMessage: `Deleted ${r.value.deleted}` });
          const environmentId = env();
          if (environmentId !== null) await get().loadBackups(environmentId);
        } else patch({ actionError: r.error, actionMessage: null });
      }),

    revealBackup: (localPath) =>
      rowAction('Retry reveal', async () => {
        const r = await call(api, 'backups.reveal', { localPath });
        if (r.ok) patch({ actionError: null, actionMessage: r.value.message });
        else patch({ actionError: r.error, actionMessage: null });
      }),

    dismissBackupMessage: () => patch({ actionError: null, actionMessage: null }),

    retryBackupAction: async () => {
      if (lastAction !== null && get().backups.actionError !== null) await lastAction();
    },
  };
};
