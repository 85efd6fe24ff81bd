import type { SerializedError } from '../../../../shared/errors';
import type { ScheduleSettings, ScheduleState } from '../../../../shared/ipc/channels/schedule';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';

/**
 * Scheduled backups as the Backups page shows them: each environment's
 * schedule state (settings, next run, running, last run, unacknowledged
 * failure) keyed by environment, so one environment's schedule is never
 * shown under another's name. Main pushes `schedule.changed`; a run that
 * finishes re-lists the backups of the environment shown.
 */
export interface ScheduleSlice {
  readonly schedule: {
    readonly byEnvironment: Readonly<Record<string, ScheduleState>>;
    /** The last load/save/clear/acknowledge error, with the environment it concerns. */
    readonly error: { readonly environmentId: string; readonly error: SerializedError } | null;
    /** Set while a save or turn-off is on its way. */
    readonly saving: string | null;
  };
  loadSchedule(environmentId: string): Promise<void>;
  saveSchedule(environmentId: string, settings: ScheduleSettings): Promise<boolean>;
  clearSchedule(environmentId: string): Promise<void>;
  acknowledgeScheduleFailure(environmentId: string): Promise<void>;
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
  const answer = (environmentId: string, r: Awaited<ReturnType<typeof call<'schedule.get'>>>): boolean => {
    if (!r.ok) {
      patch({ error: { environmentId, error: r.error } });
      return false;
    }
    patch({ error: null });
    apply(r.value);
    return true;
  };

  return {
    schedule: { byEnvironment: {}, error: null, saving: null },

    async loadSchedule(environmentId) {
      answer(environmentId, await call(api, 'schedule.get', { environmentId }));
    },

    async saveSchedule(environmentId, settings) {
      patch({ saving: environmentId });
      try {
        return answer(environmentId, await call(api, 'schedule.set', { environmentId, settings }));
      } finally {
        patch({ saving: null });
      }
    },

    async clearSchedule(environmentId) {
      patch({ saving: environmentId });
      try {
        answer(environmentId, await call(api, 'schedule.clear', { environmentId }));
      } finally {
        patch({ saving: null });
      }
    },

    async acknowledgeScheduleFailure(environmentId) {
      answer(environmentId, await call(api, 'schedule.acknowledge', { environmentId }));
    },

    applyScheduleState: apply,
  };
};
