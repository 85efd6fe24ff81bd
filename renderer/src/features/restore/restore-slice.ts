import type { SerializedError } from '../../../../shared/errors';
import {
  restoreInspectResultSchema,
  restoreResultSchema,
  type ArchiveRef,
  type MachineUpdateRow,
  type PrecheckResult,
  type RestoreConfirmations,
  type RestoreInspectResult,
  type RestoreResult,
  type RestoreRun,
  type RestoreTarget,
} from '../../../../shared/ipc/channels/restore';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import type { SliceFactory } from '../../store/app-state';
import { call } from '../../store/call';
import { checkDroppedItem, stagerOf, type DroppedItem } from './dropped-files';

/** The archive on the page: where it is, and what to call it. */
export interface RestoreArchive {
  readonly ref: ArchiveRef;
  readonly label: string;
  /** Quorum copied it into its staging folder (browser mode): discard it when replaced. */
  readonly staged: boolean;
}

/** One restore or rehearsal run: its operation, its live steps, and its outcome. */
export interface RunView {
  readonly operationId: string | null;
  readonly run: RestoreRun | null;
  readonly result: RestoreResult | null;
  readonly error: SerializedError | null;
}

/** The staged file to discard when the archive is replaced or closed: a browser-mode drop, or a server copy main downloaded for it. */
function stagedCopyOf(archive: RestoreArchive | null, inspection: RestoreInspectResult | null): string | null {
  if (archive === null) return null;
  if ('localPath' in archive.ref) return archive.staged ? archive.ref.localPath : null;
  return inspection?.localPath ?? null;
}

const NO_RUN: RunView = { operationId: null, run: null, result: null, error: null };

export interface RestoreSlice {
  readonly restore: {
    readonly archive: RestoreArchive | null;
    /** A drop or pick that was refused (not an archive, a folder, several files), and why. */
    readonly refusal: string | null;
    /** Browser mode: the dropped file streaming to the host. */
    readonly receiving: { readonly name: string; readonly sent: number; readonly total: number } | null;
    readonly inspectOperationId: string | null;
    readonly inspection: RestoreInspectResult | null;
    readonly inspectError: SerializedError | null;
    readonly precheck: PrecheckResult | null;
    readonly precheckError: SerializedError | null;
    readonly prechecking: boolean;
    readonly restore: RunView;
    readonly rehearsal: RunView;
    readonly retryErrors: Readonly<Record<string, SerializedError>>;
    /** What the last Start restore asked for: its Retry starts the same restore again. */
    readonly lastStart: RestoreStartInputs | null;
  };
  /** Opens an archive named by path or by server backup id (Backups row, picker) and inspects it. */
  openRestoreArchive(ref: ArchiveRef, label: string, staged?: boolean): Promise<void>;
  /** A drop or a file-input pick: refuse what is not one archive file, stage it, then inspect it. */
  openDroppedFiles(items: readonly DroppedItem[]): Promise<void>;
  /** Retry inspect: inspects the archive on the page again (the operator replaced the file, or the server copy can be fetched now). */
  retryRestoreInspect(): Promise<void>;
  refuseRestoreDrop(reason: string): void;
  closeRestoreArchive(): Promise<void>;
  runRestorePrecheck(environmentId: string, target: RestoreTarget, confirmations: RestoreConfirmations): Promise<void>;
  startRestore(environmentId: string, target: RestoreTarget, confirmations: RestoreConfirmations): Promise<void>;
  /** Retry beside a restore that could not start or failed: the same environment, target and confirmations (main checks again first). */
  retryRestoreStart(): Promise<void>;
  startRehearsal(): Promise<void>;
  retryRestoreMachine(operationId: string, machineId: string): Promise<void>;
  /** `restore.progress` from main. */
  applyRestoreRun(run: RestoreRun): void;
  /** `operation.progress` / `operation.finished`: picks up the inspection's and the runs' outcomes. */
  applyRestoreOperation(snapshot: OperationSnapshot): void;
  dismissRestoreRun(): void;
  /** A reloaded window: finds the restore or rehearsal main is running among the running operations. */
  adoptRestoreRuns(): Promise<void>;
}

type State = RestoreSlice['restore'];

/** The inputs of one Start restore. */
export interface RestoreStartInputs {
  readonly environmentId: string;
  readonly target: RestoreTarget;
  readonly confirmations: RestoreConfirmations;
}

const EMPTY: State = {
  archive: null,
  refusal: null,
  receiving: null,
  inspectOperationId: null,
  inspection: null,
  inspectError: null,
  precheck: null,
  precheckError: null,
  prechecking: false,
  restore: NO_RUN,
  rehearsal: NO_RUN,
  retryErrors: {},
  lastStart: null,
};

const BUSY: SerializedError = {
  code: 'conflict',
  message: 'A restore is running. Wait until it finishes (or cancel it) before opening another archive.',
};

function malformed(what: string): SerializedError {
  return { code: 'internal', message: `Quorum's main process answered the ${what} in a shape this window does not understand. Reload the window and try again.` };
}

export const createRestoreSlice: SliceFactory<RestoreSlice> = (api) => (set, get) => {
  const patch = (p: Partial<State>) => set((s) => ({ restore: { ...s.restore, ...p } }));
  const patchRun = (which: 'restore' | 'rehearsal', p: Partial<RunView>) =>
    set((s) => ({ restore: { ...s.restore, [which]: { ...s.restore[which], ...p } } }));
  const restoreRunning = () => get().restore.restore.run?.state === 'running' || (get().restore.restore.operationId !== null && get().restore.restore.run === null && get().restore.restore.result === null && get().restore.restore.error === null);
  /** Operations already asked about by `adoptRestoreRuns`. */
  const adoptChecked = new Set<string>();
  /** Numbers each precheck request: only the latest answer is kept. */
  let precheckSeq = 0;

  /** Fetches the run and result when the terminal snapshot carried no usable result (or the window reloaded). */
  const fetchResult = async (which: 'restore' | 'rehearsal', operationId: string) => {
    const r = await call(api, 'restore.result', { operationId });
    if (get().restore[which].operationId !== operationId) return;
    if (r.ok) patchRun(which, { run: r.value.run, result: r.value.result });
    // A run that failed before it had steps is unknown to restore.result: keep the operation's own error.
    else if (get().restore[which].error === null) patchRun(which, { error: r.error });
  };

  /** Inspects the archive on the page; its outcome arrives with the operation (or at once, as `inspectError`). */
  const inspect = async (ref: ArchiveRef) => {
    const environmentId = get().environments.selectedId;
    const r = await call(api, 'restore.inspect', environmentId === null ? { archive: ref } : { archive: ref, environmentId });
    if (get().restore.archive?.ref !== ref) return;
    if (!r.ok) {
      patch({ inspectError: r.error });
      return;
    }
    patch({ inspectOperationId: r.value.operationId });
    // A fast inspection may have finished before its id came back.
    const done = get().operations.byId[r.value.operationId];
    if (done !== undefined) get().applyRestoreOperation(done);
  };

  return {
    restore: EMPTY,

    openRestoreArchive: async (ref, label, staged = false) => {
      if (restoreRunning()) {
        patch({ refusal: BUSY.message });
        return;
      }
      const previous = get().restore.archive;
      const previousCopy = stagedCopyOf(previous, get().restore.inspection);
      if (previousCopy !== null) void call(api, 'restore.discard', { localPath: previousCopy });
      get().navigate('restore');
      set((s) => ({ restore: { ...EMPTY, rehearsal: s.restore.rehearsal.run?.state === 'running' ? s.restore.rehearsal : NO_RUN, archive: { ref, label, staged } } }));
      await inspect(ref);
    },

    retryRestoreInspect: async () => {
      const { archive, inspectError } = get().restore;
      // Only a failed inspection is retried: a running or finished one stays as it is.
      if (archive === null || inspectError === null || restoreRunning()) return;
      patch({ inspectError: null, inspectOperationId: null, inspection: null, precheck: null, precheckError: null });
      await inspect(archive.ref);
    },

    openDroppedFiles: async (items) => {
      get().navigate('restore');
      if (restoreRunning()) {
        patch({ refusal: BUSY.message });
        return;
      }
      const check = checkDroppedItem(items);
      if (!check.ok) {
        patch({ refusal: check.reason });
        return;
      }
      const file = check.file;
      patch({ refusal: null, receiving: { name: file.name, sent: 0, total: file.size } });
      let localPath: string;
      try {
        ({ localPath } = await stagerOf(api)(file, (sent, total) => patch({ receiving: { name: file.name, sent, total } })));
      } catch (error) {
        patch({ receiving: null, refusal: error instanceof Error ? error.message : `Quorum could not read ${file.name}. Drop it again.` });
        return;
      }
      patch({ receiving: null });
      const staged = await call(api, 'restore.stage', { localPath });
      if (!staged.ok) {
        patch({ refusal: staged.error.message });
        return;
      }
      // The operator's own name for it (a staged copy's name carries Quorum's prefix).
      await get().openRestoreArchive({ localPath: staged.value.localPath }, file.name, staged.value.staged);
    },

    refuseRestoreDrop: (reason) => {
      get().navigate('restore');
      patch({ refusal: reason });
    },

    closeRestoreArchive: async () => {
      const { archive, inspectOperationId, inspection } = get().restore;
      if (restoreRunning()) return;
      if (inspectOperationId !== null && inspection === null) await get().cancelOperation(inspectOperationId);
      const copy = stagedCopyOf(archive, inspection);
      if (copy !== null) await call(api, 'restore.discard', { localPath: copy });
      set((s) => ({ restore: { ...EMPTY, rehearsal: s.restore.rehearsal.run?.state === 'running' ? s.restore.rehearsal : NO_RUN } }));
    },

    runRestorePrecheck: async (environmentId, target, confirmations) => {
      const { archive, inspection } = get().restore;
      if (archive === null || inspection === null) return;
      const mine = ++precheckSeq;
      patch({ prechecking: true });
      const r = await call(api, 'restore.precheck', { environmentId, archive: { localPath: inspection.localPath }, target, confirmations });
      if (mine !== precheckSeq || get().restore.archive !== archive) return;
      if (r.ok) patch({ precheck: r.value, precheckError: null, prechecking: false });
      else patch({ precheck: null, precheckError: r.error, prechecking: false });
    },

    startRestore: async (environmentId, target, confirmations) => {
      const { inspection } = get().restore;
      if (inspection === null || restoreRunning()) return;
      patch({ restore: { ...NO_RUN }, retryErrors: {}, lastStart: { environmentId, target, confirmations } });
      const r = await call(api, 'restore.start', { environmentId, archive: { localPath: inspection.localPath }, target, confirmations });
      if (!r.ok) {
        patchRun('restore', { error: r.error });
        return;
      }
      patchRun('restore', { operationId: r.value.operationId });
      const done = get().operations.byId[r.value.operationId];
      if (done !== undefined) get().applyRestoreOperation(done);
    },

    retryRestoreStart: async () => {
      const last = get().restore.lastStart;
      if (last !== null) await get().startRestore(last.environmentId, last.target, last.confirmations);
    },

    startRehearsal: async () => {
      const { inspection } = get().restore;
      if (inspection === null || get().restore.rehearsal.run?.state === 'running') return;
      patch({ rehearsal: { ...NO_RUN } });
      const r = await call(api, 'restore.rehearse', { archive: { localPath: inspection.localPath } });
      if (!r.ok) {
        patchRun('rehearsal', { error: r.error });
        return;
      }
      patchRun('rehearsal', { operationId: r.value.operationId });
      const done = get().operations.byId[r.value.operationId];
      if (done !== undefined) get().applyRestoreOperation(done);
    },

    retryRestoreMachine: async (operationId, machineId) => {
      set((s) => {
        const { [machineId]: _dropped, ...rest } = s.restore.retryErrors;
        return { restore: { ...s.restore, retryErrors: rest } };
      });
      const replaceRow = (row: MachineUpdateRow) => (rows: readonly MachineUpdateRow[]) => rows.map((r) => (r.machineId === row.machineId ? row : r));
      const running: MachineUpdateRow | undefined = get().restore.restore.run?.machines.find((m) => m.machineId === machineId) ?? get().restore.restore.result?.updates.find((m) => m.machineId === machineId);
      if (running !== undefined) applyRow(replaceRow({ ...running, state: 'running', reason: null }));
      const r = await call(api, 'restore.retryMachine', { operationId, machineId });
      if (r.ok) applyRow(replaceRow(r.value));
      else {
        if (running !== undefined) applyRow(replaceRow(running));
        set((s) => ({ restore: { ...s.restore, retryErrors: { ...s.restore.retryErrors, [machineId]: r.error } } }));
      }

      function applyRow(update: (rows: readonly MachineUpdateRow[]) => MachineUpdateRow[]) {
        const view = get().restore.restore;
        if (view.operationId !== operationId) return;
        patchRun('restore', {
          run: view.run === null ? null : { ...view.run, machines: update(view.run.machines) },
          result: view.result === null ? null : { ...view.result, updates: update(view.result.updates) },
        });
      }
    },

    applyRestoreRun: (run) => {
      const which = run.mode === 'rehearsal' ? 'rehearsal' : 'restore';
      const view = get().restore[which];
      // A reloaded window adopts the run main is doing.
      if (view.operationId !== null && view.operationId !== run.operationId) return;
      // A late progress event never revives a finished run.
      if (view.run !== null && view.run.state !== 'running' && run.state === 'running') return;
      patchRun(which, { operationId: run.operationId, run });
    },

    applyRestoreOperation: (snapshot) => {
      if (snapshot.kind !== 'restore' || snapshot.state === 'running') return;
      const s = get().restore;
      if (snapshot.id === s.inspectOperationId && s.inspection === null) {
        if (snapshot.state === 'succeeded') {
          const parsed = restoreInspectResultSchema.safeParse(snapshot.result);
          patch(parsed.success ? { inspection: parsed.data, inspectError: null } : { inspectError: malformed('inspection') });
        } else {
          patch({ inspectError: snapshot.error ?? { code: 'cancelled', message: 'The inspection was cancelled; nothing was touched.' } });
        }
        return;
      }
      for (const which of ['restore', 'rehearsal'] as const) {
        const view = s[which];
        if (snapshot.id !== view.operationId || view.result !== null) continue;
        if (snapshot.state === 'succeeded') {
          const parsed = restoreResultSchema.safeParse(snapshot.result);
          if (parsed.success) patchRun(which, { result: parsed.data, error: null });
          else void fetchResult(which, snapshot.id);
        } else {
          patchRun(which, { error: snapshot.error ?? (snapshot.state === 'cancelled' ? { code: 'cancelled', message: 'The restore was cancelled before the point of no return; the environment was not changed.' } : null) });
          if (view.run === null || view.run.state === 'running') void fetchResult(which, snapshot.id);
        }
      }
    },

    dismissRestoreRun: () => patch({ restore: NO_RUN, retryErrors: {} }),

    adoptRestoreRuns: async () => {
      const known = () => {
        const s = get().restore;
        return new Set([s.inspectOperationId, s.restore.operationId, s.rehearsal.operationId, ...adoptChecked]);
      };
      const candidates = Object.values(get().operations.byId).filter((op) => op.kind === 'restore' && op.state === 'running' && !known().has(op.id));
      for (const op of candidates) {
        adoptChecked.add(op.id);
        // An inspection has no run: restore.result does not know it.
        const r = await call(api, 'restore.result', { operationId: op.id });
        if (!r.ok) continue;
        const which = r.value.run.mode === 'rehearsal' ? 'rehearsal' : 'restore';
        if (get().restore[which].operationId !== null) continue;
        patchRun(which, { operationId: op.id, run: r.value.run, result: r.value.result });
      }
    },
  };
};
