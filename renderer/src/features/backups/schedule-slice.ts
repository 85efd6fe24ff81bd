import type { SerializedError } from '../../../../shared/errors';
import { SCHEDULED_NOTES, type ScheduleSettings, type ScheduleState } from '../../../../shared/ipc/channels/schedule';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';

/**
 * Scheduled backups as the Backups page shows them: each environment's
 * schedule state (settings, next run, running, last run, unacknowledged
 * failure) keyed by environment, so one environment's schedule is never
 * shown under another's name. Main pushes `schedule.changed`; a run that
 * finishes re-lists the backups of the environment shown.
 */
/** A request to main about the schedule, kept with its error so Retry sends it again. */
export type ScheduleAction =
  | { readonly kind: 'load' }
  | { readonly kind: 'save'; readonly settings: ScheduleSettings }
  | { readonly kind: 'clear' }
  | { readonly kind: 'acknowledge' };

/** The console's Retry backup of a failed scheduled run: the backup operation it started, or why it could not start. */
export interface ScheduleRetryBackup {
  readonly environmentId: string;
  readonly operationId: string | null;
  readonly error: SerializedError | null;
}

export interface ScheduleSlice {
  readonly schedule: {
    readonly byEnvironment: Readonly<Record<string, ScheduleState>>;
    /** The last load/save/clear/acknowledge error, with the environment it concerns and the request that failed. */
    readonly error: { readonly environmentId: string; readonly error: SerializedError; readonly action: ScheduleAction } | null;
    /** Set while a save or turn-off is on its way. */
    readonly saving: string | null;
    readonly retryBackup: ScheduleRetryBackup | null;
  };
  loadSchedule(environmentId: string): Promise<void>;
  saveSchedule(environmentId: string, settings: ScheduleSettings): Promise<boolean>;
  clearSchedule(environmentId: string): Promise<void>;
  acknowledgeScheduleFailure(environmentId: string): Promise<void>;
  /** Retry beside a schedule error: the request that failed, with the same settings. */
  retryScheduleAction(environmentId: string): Promise<void>;
  /** Retry backup beside a failed scheduled run: the same backup the schedule makes (its notes, a local copy); the panel acknowledges the failure once it succeeds. */
  retryScheduledBackup(environmentId: string): Promise<void>;
  applyScheduleState(state: ScheduleState): void;
}

export const createScheduleSlice: SliceFactory<ScheduleSlice> = (api) => (set, get) => {
  const patch = (p: Partial<ScheduleSlice['schedule']>) => set((s) => ({ schedule: { ...s.schedule, ...p } }));
  const apply = (state: ScheduleState) => {
    const previous = get().schedule.byEnvironment[state.environmentId];
    set((s) => ({ schedule: { ...s.schedule, byEnvironment: { ...s.schedule.byEnvironment, [state.environmentId]: state } } }));
    // A run just finished: the list of the environment shown gains its backup (and loses what retention removed).
    if (previous?.running === true && !state.running) get().onBackupsChanged(state.environmentId);
  };
  const answer = (environmentId: string, action: ScheduleAction, r: Awaited<ReturnType<typeof call<'schedule.get'>>>): boolean => {
    if (!r.ok) {
      patch({ error: { environmentId, error: r.error, action } });
      return false;
    }
    patch({ error: null });
    apply(r.value);
    return true;
  };

  return {
    schedule: { byEnvironment: {}, error: null, saving: null, retryBackup: null },

    async loadSchedule(environmentId) {
      answer(environmentId, { kind: 'load' }, await call(api, 'schedule.get', { environmentId }));
    },

    async saveSchedule(environmentId, settings) {
      patch({ saving: environmentId });
      try {
        return answer(environmentId, { kind: 'save', settings }, await call(api, 'schedule.set', { environmentId, settings }));
      } finally {
        patch({ saving: null });
      }
    },

    async clearSchedule(environmentId) {
      patch({ saving: environmentId });
      try {
        answer(environmentId, { kind: 'clear' }, await call(api, 'schedule.clear', { environmentId }));
      } finally {
        patch({ saving: null });
      }
    },

    async acknowledgeScheduleFailure(environmentId) {
      const acknowledged = answer(environmentId, { kind: 'acknowledge' }, await call(api, 'schedule.acknowledge', { environmentId }));
      if (acknowledged && get().schedule.retryBackup?.environmentId === environmentId) patch({ retryBackup: null });
    },

    async retryScheduleAction(environmentId) {
      const failed = get().schedule.error;
      if (failed === null || failed.environmentId !== environmentId) return;
      const { action } = failed;
      if (action.kind === 'load') await get().loadSchedule(environmentId);
      else if (action.kind === 'save') await get().saveSchedule(environmentId, action.settings);
      else if (action.kind === 'clear') await get().clearSchedule(environmentId);
      else await get().acknowledgeScheduleFailure(environmentId);
    },

    async retryScheduledBackup(environmentId) {
      patch({ retryBackup: { environmentId, operationId: null, error: null } });
      const r = await call(api, 'backups.create', { environmentId, notes: SCHEDULED_NOTES, keepLocal: true });
      if (get().schedule.retryBackup?.environmentId !== environmentId) return;
      patch({ retryBackup: { environmentId, operationId: r.ok ? r.value.operationId : null, error: r.ok ? null : r.error } });
    },

    applyScheduleState: apply,
  };
};
