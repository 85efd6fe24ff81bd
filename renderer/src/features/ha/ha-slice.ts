import type { SerializedError } from '../../../../shared/errors';
import type { Result } from '../../../../shared/ipc/envelope';
import type { EnsureAvailabilitySpec, HaApplyProgress, HaPreview, HaStatus, RecoveryPlan } from '../../../../shared/ipc/channels/ha';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';
import { specKey } from './plan-model';

/** Which guided flow (if any) the HA page shows. */
export type RecoveryStepRun = { readonly step: 1 | 2; readonly operationId: string; readonly previewLines: readonly string[] } | { readonly step: 3; readonly removed: readonly string[] };

export interface HaSlice {
  readonly ha: {
    /** The environment the facts below belong to. */
    readonly environmentId: string | null;
    readonly status: HaStatus | null;
    readonly statusError: SerializedError | null;
    readonly preview: HaPreview | null;
    /** `specKey` of the request the preview answers. */
    readonly previewKey: string | null;
    readonly previewError: SerializedError | null;
    readonly previewing: boolean;
    /** The `ha.apply` this window started (or found running), its preview lines, and why starting failed. */
    readonly applyOperationId: string | null;
    readonly appliedPreviewLines: readonly string[] | null;
    readonly applyError: SerializedError | null;
    /** Per-machine progress of the running apply (`ha.applyProgress`). */
    readonly progress: HaApplyProgress | null;
    /** The guided recovery: shown, its plan from main, and the runs of its steps. */
    readonly recovery: {
      readonly open: boolean;
      readonly plan: RecoveryPlan | null;
      readonly error: SerializedError | null;
      readonly runs: readonly RecoveryStepRun[];
    };
  };
  /** Reads `ha.status` for the environment (and forgets another environment's facts). */
  loadHaStatus(environmentId: string): Promise<void>;
  /** Applies a status pushed by main (`ha.changed`). */
  applyHaStatus(status: HaStatus): void;
  /** Asks main for Juju's plan for this spec; a late answer for an older spec is dropped. */
  previewHa(spec: EnsureAvailabilitySpec): Promise<void>;
  /** The facts changed: the plan shown is out of date until the next answer (Apply waits for it). */
  markHaPreviewStale(): void;
  /** Starts `ha.apply`; resolves to the operation id, or null (the error is in `applyError`). */
  applyHa(spec: EnsureAvailabilitySpec, options: { overrideRerunGuard: boolean; previewLines: readonly string[] }): Promise<string | null>;
  applyHaProgress(progress: HaApplyProgress): void;
  dismissHaApply(): void;
  /**
   * Hands the admin password to main. The password is never kept in the
   * store: it goes straight into the request and only the outcome returns.
   */
  setHaAdminPassword(environmentId: string, password: string): Promise<Result<{ verified: boolean }>>;
  /** Opens the guided recovery (from the quorum banner or the HA page) and reads its plan. */
  openHaRecovery(): void;
  closeHaRecovery(): void;
  loadRecoveryPlan(environmentId: string): Promise<void>;
  /** Steps 1 and 2: `ha.apply` with the plan's count. */
  runRecoveryEnsure(plan: RecoveryPlan): Promise<void>;
  /** Step 3: `juju remove-machine [--force]` of the failed machines. */
  runRecoveryRemove(plan: RecoveryPlan, force: boolean): Promise<void>;
}

type HaState = HaSlice['ha'];

const EMPTY: HaState = {
  environmentId: null,
  status: null,
  statusError: null,
  preview: null,
  previewKey: null,
  previewError: null,
  previewing: false,
  applyOperationId: null,
  appliedPreviewLines: null,
  applyError: null,
  progress: null,
  recovery: { open: false, plan: null, error: null, runs: [] },
};

export const createHaSlice: SliceFactory<HaSlice> = (api) => (set, get) => {
  const patch = (p: Partial<HaState>) => set((s) => ({ ha: { ...s.ha, ...p } }));
  const patchRecovery = (p: Partial<HaState['recovery']>) => set((s) => ({ ha: { ...s.ha, recovery: { ...s.ha.recovery, ...p } } }));
  /** Everything learnt about another environment is dropped when the environment changes. */
  const forEnvironment = (environmentId: string) => {
    if (get().ha.environmentId !== environmentId) set((s) => ({ ha: { ...EMPTY, recovery: { ...EMPTY.recovery, open: s.ha.recovery.open }, environmentId } }));
  };
  /** Numbers each preview request: only the answer to the latest one is kept (even for the same spec, facts may have moved). */
  let previewSeq = 0;

  return {
    ha: EMPTY,

    loadHaStatus: async (environmentId) => {
      forEnvironment(environmentId);
      const r = await call(api, 'ha.status', { environmentId });
      if (get().ha.environmentId !== environmentId) return;
      if (r.ok) get().applyHaStatus(r.value);
      else patch({ statusError: r.error });
    },

    applyHaStatus: (status) => {
      if (get().ha.environmentId !== status.environmentId) return;
      const { applyOperationId } = get().ha;
      // A reloaded window finds the running apply through the status.
      patch({ status, statusError: null, ...(applyOperationId === null && status.applyOperationId !== null ? { applyOperationId: status.applyOperationId } : {}) });
    },

    previewHa: async (spec) => {
      forEnvironment(spec.environmentId);
      const key = specKey(spec);
      const mine = ++previewSeq;
      patch({ previewing: true });
      const r = await call(api, 'ha.preview', spec);
      if (mine !== previewSeq || get().ha.environmentId !== spec.environmentId) return;
      if (r.ok) patch({ preview: r.value, previewKey: key, previewError: null, previewing: false });
      else patch({ preview: null, previewKey: key, previewError: r.error, previewing: false });
    },

    markHaPreviewStale: () => {
      if (!get().ha.previewing) patch({ previewing: true });
    },

    applyHa: async (spec, { overrideRerunGuard, previewLines }) => {
      patch({ applyError: null });
      const r = await call(api, 'ha.apply', overrideRerunGuard ? { ...spec, overrideRerunGuard: true } : spec);
      if (!r.ok) {
        patch({ applyError: r.error });
        return null;
      }
      patch({ applyOperationId: r.value.operationId, appliedPreviewLines: [...previewLines], progress: null });
      return r.value.operationId;
    },

    applyHaProgress: (progress) => {
      const { environmentId, applyOperationId } = get().ha;
      if (progress.environmentId !== environmentId) return;
      if (applyOperationId !== null && applyOperationId !== progress.operationId) return;
      patch({ progress, ...(applyOperationId === null ? { applyOperationId: progress.operationId } : {}) });
    },

    dismissHaApply: () => patch({ applyOperationId: null, appliedPreviewLines: null, applyError: null, progress: null }),

    setHaAdminPassword: async (environmentId, password) => {
      const r = await call(api, 'ha.setAdminPassword', { environmentId, password });
      if (r.ok) {
        patch({ applyError: null });
        void get().loadHaStatus(environmentId);
      }
      return r;
    },

    openHaRecovery: () => patchRecovery({ open: true }),
    closeHaRecovery: () => patchRecovery({ open: false, runs: [], error: null }),

    loadRecoveryPlan: async (environmentId) => {
      const r = await call(api, 'ha.recoveryPlan', { environmentId });
      if (get().ha.environmentId !== null && get().ha.environmentId !== environmentId) return;
      if (r.ok) patchRecovery({ plan: r.value, error: null });
      else patchRecovery({ error: r.error });
    },

    runRecoveryEnsure: async (plan) => {
      if (plan.step !== 1 && plan.step !== 2) return;
      const step = plan.step;
      const previewLines = plan.preview?.lines ?? [];
      patchRecovery({ error: null });
      const r = await call(api, 'ha.apply', { environmentId: plan.environmentId, n: plan.preview?.desired ?? 0 });
      if (!r.ok) {
        patchRecovery({ error: r.error });
        return;
      }
      patch({ applyOperationId: r.value.operationId, appliedPreviewLines: previewLines, progress: null, applyError: null });
      set((s) => ({ ha: { ...s.ha, recovery: { ...s.ha.recovery, runs: [...s.ha.recovery.runs.filter((run) => run.step !== step), { step, operationId: r.value.operationId, previewLines }] } } }));
    },

    runRecoveryRemove: async (plan, force) => {
      patchRecovery({ error: null });
      const r = await call(api, 'ha.removeMachines', { environmentId: plan.environmentId, machineIds: [...plan.removeMachineIds], ...(force ? { force: true } : {}) });
      if (!r.ok) {
        patchRecovery({ error: r.error });
        return;
      }
      set((s) => ({ ha: { ...s.ha, recovery: { ...s.ha.recovery, runs: [...s.ha.recovery.runs.filter((run) => run.step !== 3), { step: 3, removed: r.value.removed }] } } }));
      await get().loadRecoveryPlan(plan.environmentId);
    },
  };
};
