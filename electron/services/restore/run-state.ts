import type { MachineUpdateRow, RestoreRun, RestoreStepId, RestoreStepView } from '../../../shared/ipc/channels/restore';
import { RESTORE_STEP_IDS, RESTORE_STEP_TITLES } from '../../../shared/ipc/channels/restore';
import type { SerializedError } from '../../../shared/errors';

/**
 * The live view of one restore run: its nine steps under the seed's log
 * lines, the point of no return, `juju.restoreInfo`'s last status and the
 * "updating all machines" rows. The runner mutates it through these methods
 * and every change is published whole (`restore.progress`), so a reloaded
 * window needs nothing but the latest copy.
 */

export const POINT_OF_NO_RETURN = {
  stepId: 'update-bootstrap' as RestoreStepId,
  description:
    'When /var/lib/juju, its db and /var/log/juju are recreated on the replacement (inside "updating bootstrap machine"): from then on the replacement holds no working state server until the restore finishes, so cancelling is no longer offered.',
};

export type Publish = (run: RestoreRun) => void;

export class RunState {
  #run: RestoreRun;
  readonly #started = new Map<RestoreStepId, number>();

  constructor(init: { operationId: string; environmentId: string; mode: RestoreRun['mode']; machineId: string }, private readonly publish: Publish) {
    this.#run = {
      ...init,
      state: 'running',
      steps: RESTORE_STEP_IDS.map((id) => ({ id, title: RESTORE_STEP_TITLES[id], state: 'pending', startedAt: null, durationMs: null, bytes: null, totalBytes: null, log: [], error: null })),
      pointOfNoReturn: { ...POINT_OF_NO_RETURN, passed: false },
      cancellable: true,
      restoreStatus: null,
      targetAddress: null,
      machines: [],
      error: null,
    };
  }

  get run(): RestoreRun {
    return this.#run;
  }

  #set(patch: Partial<RestoreRun>): void {
    this.#run = { ...this.#run, ...patch };
    this.publish(this.#run);
  }

  #step(id: RestoreStepId, patch: Partial<RestoreStepView>): void {
    this.#set({ steps: this.#run.steps.map((s) => (s.id === id ? { ...s, ...patch } : s)) });
  }

  stepOf(id: RestoreStepId): RestoreStepView {
    return this.#run.steps.find((s) => s.id === id)!;
  }

  begin(id: RestoreStepId): void {
    this.#started.set(id, Date.now());
    this.#step(id, { state: 'running', startedAt: new Date().toISOString() });
  }

  #elapsed(id: RestoreStepId): number {
    return Date.now() - (this.#started.get(id) ?? Date.now());
  }

  succeed(id: RestoreStepId): void {
    this.#step(id, { state: 'succeeded', durationMs: this.#elapsed(id) });
  }

  skip(id: RestoreStepId, why: string): void {
    this.log(id, why);
    this.#step(id, { state: 'skipped', durationMs: 0 });
  }

  fail(id: RestoreStepId, message: string, cancelled: boolean): void {
    this.log(id, message, cancelled ? 'warning' : 'error');
    this.#step(id, { state: cancelled ? 'cancelled' : 'failed', durationMs: this.#elapsed(id), error: message });
  }

  log(id: RestoreStepId, text: string, level: 'info' | 'warning' | 'error' = 'info'): void {
    const step = this.stepOf(id);
    const log = [...step.log, { at: new Date().toISOString(), text, level }];
    this.#step(id, { log: log.length > 400 ? log.slice(log.length - 400) : log });
  }

  bytes(id: RestoreStepId, bytes: number, totalBytes: number): void {
    this.#step(id, { bytes, totalBytes });
  }

  passPointOfNoReturn(): void {
    this.#set({ pointOfNoReturn: { ...this.#run.pointOfNoReturn, passed: true }, cancellable: false });
  }

  status(status: RestoreRun['restoreStatus']): void {
    this.#set({ restoreStatus: status });
  }

  target(address: string): void {
    this.#set({ targetAddress: address });
  }

  rows(rows: readonly MachineUpdateRow[]): void {
    this.#set({ machines: [...rows] });
  }

  row(row: MachineUpdateRow): void {
    const rows = this.#run.machines.some((r) => r.machineId === row.machineId)
      ? this.#run.machines.map((r) => (r.machineId === row.machineId ? row : r))
      : [...this.#run.machines, row];
    this.#set({ machines: rows });
  }

  finish(state: Exclude<RestoreRun['state'], 'running'>, error: SerializedError | null): void {
    this.#set({ state, error, cancellable: false });
  }
}
