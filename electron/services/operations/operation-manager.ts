import { randomUUID } from 'node:crypto';
import { QuorumError, serializeError, type SerializedError } from '../../../shared/errors';
import type { OperationKind, OperationProgress, OperationSnapshot } from '../../../shared/ipc/operations';
import type { SecretRegistry } from '../../../shared/redact';
import type { EventHub } from '../ipc/event-hub';
import { describeError, type Logger } from '../log';

export type OperationLogLevel = 'info' | 'warning' | 'error';

/** What a long job sees while it runs. */
export interface OperationContext {
  readonly operationId: string;
  /** Aborted when the operator cancels (or the console shuts down). */
  readonly signal: AbortSignal;
  /** Reports progress; events are throttled, the latest state is never lost. */
  progress(progress: OperationProgress): void;
  /** Appends a step to the operation's log (shown as "every step" by restore). */
  log(message: string, level?: OperationLogLevel): void;
}

export interface StartOptions {
  readonly environmentId: string;
  readonly title: string;
  /**
   * Jobs sharing a key never run at once (e.g. `backup:<environmentId>`);
   * starting a second one fails with `busy`.
   */
  readonly exclusiveKey?: string;
  /** First progress state; default phase `starting`. */
  readonly initialProgress?: OperationProgress;
}

/**
 * The one mechanism for long jobs (backup, restore, HA): start returns an
 * id at once, progress events are throttled to a few per second, and exactly
 * one `operation.finished` event carries the final snapshot. `list` lets a
 * reloaded window catch up on what is running and what just finished.
 */
export interface OperationManager {
  start(kind: OperationKind, options: StartOptions, run: (ctx: OperationContext) => Promise<unknown>): { operationId: string };
  cancel(operationId: string): boolean;
  list(): readonly OperationSnapshot[];
  get(operationId: string): OperationSnapshot | undefined;
  /** Resolves when the operation has finished (for tests and shutdown). */
  whenFinished(operationId: string): Promise<OperationSnapshot>;
  /** Cancels everything still running and waits (bounded) for it to stop. */
  close(timeoutMs?: number): Promise<void>;
}

export interface OperationManagerOptions {
  readonly events: Pick<EventHub, 'emit'>;
  readonly secrets: SecretRegistry;
  readonly log: Logger;
  /** Minimum interval between progress events of one operation (default 250 ms: at most 4/s). */
  readonly progressIntervalMs?: number;
  /** How many finished operations `list` keeps (default 50). */
  readonly keepFinished?: number;
  /** Log entries kept per operation (default 500; the oldest are dropped). */
  readonly maxLogEntries?: number;
}

interface Entry {
  snapshot: OperationSnapshot;
  readonly controller: AbortController;
  readonly exclusiveKey: string | undefined;
  lastEmit: number;
  timer: NodeJS.Timeout | null;
  readonly done: Promise<OperationSnapshot>;
}

export function createOperationManager(options: OperationManagerOptions): OperationManager {
  const interval = options.progressIntervalMs ?? 250;
  const keepFinished = options.keepFinished ?? 50;
  const maxLog = options.maxLogEntries ?? 500;
  const log = options.log.child('operations');
  const entries = new Map<string, Entry>();
  const finishedOrder: string[] = [];

  const emitProgress = (entry: Entry): void => {
    entry.timer = null;
    if (entry.snapshot.state !== 'running') return;
    entry.lastEmit = Date.now();
    options.events.emit('operation.progress', entry.snapshot);
  };

  const scheduleProgress = (entry: Entry): void => {
    if (entry.snapshot.state !== 'running' || entry.timer !== null) return;
    const wait = entry.lastEmit + interval - Date.now();
    if (wait <= 0) emitProgress(entry);
    else entry.timer = setTimeout(() => emitProgress(entry), wait);
  };

  const redactError = (error: SerializedError): SerializedError => ({ ...error, message: options.secrets.redact(error.message) });

  const finish = (entry: Entry, state: 'succeeded' | 'failed' | 'cancelled', result: unknown, error: SerializedError | undefined) => {
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    entry.snapshot = {
      ...entry.snapshot,
      state,
      finishedAt: new Date().toISOString(),
      ...(result === undefined ? {} : { result }),
      ...(error === undefined ? {} : { error: redactError(error) }),
    };
    finishedOrder.push(entry.snapshot.id);
    while (finishedOrder.length > keepFinished) entries.delete(finishedOrder.shift()!);
    options.events.emit('operation.finished', entry.snapshot);
    return entry.snapshot;
  };

  const start: OperationManager['start'] = (kind, startOptions, run) => {
    if (startOptions.exclusiveKey !== undefined) {
      for (const other of entries.values()) {
        if (other.snapshot.state === 'running' && other.exclusiveKey === startOptions.exclusiveKey) {
          throw new QuorumError(
            'busy',
            `"${other.snapshot.title}" is still running on ${other.snapshot.environmentId}. Wait for it to finish or cancel it, then try again.`,
            { details: { operationId: other.snapshot.id } },
          );
        }
      }
    }
    const id = `op-${randomUUID()}`;
    const controller = new AbortController();
    let resolveDone!: (s: OperationSnapshot) => void;
    const entry: Entry = {
      snapshot: {
        id,
        kind,
        environmentId: startOptions.environmentId,
        title: startOptions.title,
        state: 'running',
        startedAt: new Date().toISOString(),
        progress: startOptions.initialProgress ?? { phase: 'starting', message: `Starting: ${startOptions.title}` },
        log: [],
      },
      controller,
      exclusiveKey: startOptions.exclusiveKey,
      lastEmit: 0,
      timer: null,
      done: new Promise((resolve) => (resolveDone = resolve)),
    };
    entries.set(id, entry);

    const ctx: OperationContext = {
      operationId: id,
      signal: controller.signal,
      progress(progress) {
        if (entry.snapshot.state !== 'running') return;
        entry.snapshot = { ...entry.snapshot, progress: { ...progress, message: options.secrets.redact(progress.message) } };
        scheduleProgress(entry);
      },
      log(message, level = 'info') {
        if (entry.snapshot.state !== 'running') return;
        const line = { at: new Date().toISOString(), message: options.secrets.redact(message), level };
        const next = [...entry.snapshot.log, line];
        entry.snapshot = { ...entry.snapshot, log: next.length > maxLog ? next.slice(next.length - maxLog) : next };
        scheduleProgress(entry);
      },
    };

    log.info(`Started ${kind} ${id}`, { environmentId: startOptions.environmentId, title: startOptions.title });
    // Run on the next tick so the caller receives the id before any event.
    void Promise.resolve()
      .then(() => run(ctx))
      .then(
        (result) => resolveDone(finish(entry, 'succeeded', result, undefined)),
        (error: unknown) => {
          const cancelled =
            (error instanceof QuorumError && error.code === 'cancelled') ||
            (controller.signal.aborted && !(error instanceof QuorumError && error.code !== 'cancelled'));
          if (cancelled) {
            log.info(`Cancelled ${kind} ${id}`);
            const serialized =
              error instanceof QuorumError
                ? serializeError(error)
                : { code: 'cancelled' as const, message: `"${startOptions.title}" was cancelled. Nothing was left half-done.` };
            resolveDone(finish(entry, 'cancelled', undefined, serialized));
            return;
          }
          log.warn(`${kind} ${id} failed`, { error: describeError(error) });
          resolveDone(finish(entry, 'failed', undefined, serializeError(error)));
        },
      );
    return { operationId: id };
  };

  const list = (): readonly OperationSnapshot[] => [...entries.values()].map((e) => e.snapshot);

  return {
    start,
    cancel(operationId) {
      const entry = entries.get(operationId);
      if (entry === undefined || entry.snapshot.state !== 'running') return false;
      if (entry.controller.signal.aborted) return false;
      log.info(`Cancelling ${operationId}`);
      entry.controller.abort(new QuorumError('cancelled', `"${entry.snapshot.title}" was cancelled by the operator.`));
      return true;
    },
    list,
    get: (operationId) => entries.get(operationId)?.snapshot,
    whenFinished(operationId) {
      const entry = entries.get(operationId);
      if (entry === undefined) return Promise.reject(new QuorumError('not-found', `No operation ${operationId} is known.`));
      return entry.done;
    },
    async close(timeoutMs = 5_000) {
      const running = [...entries.values()].filter((e) => e.snapshot.state === 'running');
      for (const e of running) e.controller.abort(new QuorumError('cancelled', 'Quorum is shutting down.'));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(running.map((e) => e.done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** The `operations.*` channel handlers over a manager. */
export function operationHandlers(manager: OperationManager) {
  return {
    'operations.list': async () => ({ operations: [...manager.list()] }),
    'operations.cancel': async (req: { operationId: string }) => {
      if (manager.get(req.operationId) === undefined) {
        throw new QuorumError('not-found', 'That operation is no longer known (it finished a while ago or Quorum restarted). Refresh the list.');
      }
      return { cancelled: manager.cancel(req.operationId) };
    },
  } as const;
}
