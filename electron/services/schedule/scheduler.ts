import type { ScheduleRun, ScheduleSettings, ScheduleState } from '../../../shared/ipc/channels/schedule';
import { QuorumError } from '../../../shared/errors';
import type { Logger } from '../log';
import { MAX_TIMER_MS, type Clock } from './clock';
import { dueTime, type Due } from './due-time';
import type { ScheduleRecord, ScheduleStore } from './schedule-store';

/**
 * Scheduled backups while Quorum runs: one timer per environment with a
 * schedule, armed for its next due time (`due-time.ts`). A run is whatever
 * `run` does (create a backup, then apply retention: `scheduled-run.ts`);
 * this module owns the timing, the persistence of the result, the
 * notifications and the rules:
 *  - one run at a time per environment: the next due time is only armed once
 *    a run has finished, counted from that run's start;
 *  - a run that fell due while Quorum was closed becomes ONE catch-up run
 *    `catchUpDelayMs` after start (default one minute), never a burst;
 *  - a failed run stays in `failure` until acknowledged, even when later
 *    runs succeed; the desktop is notified of each failure, and of the first
 *    success after one.
 */

export interface RunOutcome {
  readonly ok: boolean;
  readonly backupId: string | null;
  readonly localPath: string | null;
  /** In words, for the operator. */
  readonly message: string;
}

export type ScheduledRunner = (environmentId: string, settings: ScheduleSettings) => Promise<RunOutcome>;

export interface SchedulerOptions {
  readonly store: ScheduleStore;
  readonly clock: Clock;
  readonly run: ScheduledRunner;
  readonly log: Logger;
  readonly onChange: (state: ScheduleState) => void;
  /** A desktop notification (Electron); absent in browser mode, where the page's alert is the only signal. */
  readonly notify?: (title: string, body: string) => void;
  readonly catchUpDelayMs?: number;
}

export interface Scheduler {
  /** Loads the saved schedules and arms their timers (catch-ups included). */
  start(): Promise<void>;
  get(environmentId: string): Promise<ScheduleState>;
  set(environmentId: string, settings: ScheduleSettings): Promise<ScheduleState>;
  /** Turns the schedule off; the last result (and an unacknowledged failure) stays. */
  clear(environmentId: string): Promise<ScheduleState>;
  acknowledge(environmentId: string): Promise<ScheduleState>;
  /** Resolves once no run is in progress. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_CATCH_UP_DELAY_MS = 60_000;

function sameCadence(a: ScheduleSettings | null, b: ScheduleSettings | null): boolean {
  return a !== null && b !== null && JSON.stringify(a.cadence) === JSON.stringify(b.cadence);
}

export function describeCadence(settings: ScheduleSettings): string {
  const c = settings.cadence;
  return c.kind === 'interval' ? `every ${c.hours} hour${c.hours === 1 ? '' : 's'}` : `daily at ${c.time}`;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { store, clock } = options;
  const log = options.log.child('schedule');
  const catchUpDelayMs = options.catchUpDelayMs ?? DEFAULT_CATCH_UP_DELAY_MS;
  const timers = new Map<string, { cancel: () => void; due: Due }>();
  const running = new Map<string, Promise<void>>();
  let closed = false;

  const stateOf = (environmentId: string, record: ScheduleRecord | null): ScheduleState => ({
    environmentId,
    settings: record?.settings ?? null,
    nextRun: timers.get(environmentId)?.due.at.toISOString() ?? null,
    running: running.has(environmentId),
    lastRun: record?.lastRun ?? null,
    failure: record?.failure ?? null,
  });

  const changed = async (environmentId: string): Promise<ScheduleState> => {
    const state = stateOf(environmentId, await store.get(environmentId));
    options.onChange(state);
    return state;
  };

  const disarm = (environmentId: string): void => {
    timers.get(environmentId)?.cancel();
    timers.delete(environmentId);
  };

  const armFor = (environmentId: string, due: Due): void => {
    disarm(environmentId);
    if (closed) return;
    const wait = Math.min(Math.max(0, due.at.getTime() - clock.now().getTime()), MAX_TIMER_MS);
    const cancel = clock.setTimer(wait, () => {
      timers.delete(environmentId);
      // Woken early (a wait longer than a timer can hold, or a clock that moved): wait again.
      if (clock.now().getTime() < due.at.getTime()) armFor(environmentId, due);
      else void runOnce(environmentId, due.catchUp);
    });
    timers.set(environmentId, { cancel, due });
  };

  const arm = (environmentId: string, record: ScheduleRecord | null): Due | null => {
    disarm(environmentId);
    if (!record?.settings || running.has(environmentId)) return null;
    const due = dueTime(record.settings.cadence, new Date(record.anchor), clock.now(), catchUpDelayMs);
    armFor(environmentId, due);
    return due;
  };

  const runOnce = (environmentId: string, catchUp: boolean): Promise<void> => {
    const already = running.get(environmentId);
    if (already) return already;
    const task = (async () => {
      const record = await store.get(environmentId);
      const settings = record?.settings;
      if (!settings || closed) return;
      const started = clock.now();
      log.info(`scheduled backup of ${environmentId} started (${describeCadence(settings)}${catchUp ? ', catch-up of a run missed while Quorum was closed' : ''})`);
      await changed(environmentId);
      let outcome: RunOutcome;
      try {
        outcome = await options.run(environmentId, settings);
      } catch (error) {
        const message = error instanceof QuorumError ? error.message : 'The scheduled backup stopped on an unexpected error; the details are in the log.';
        if (!(error instanceof QuorumError)) log.error(`scheduled backup of ${environmentId} threw`, { error: String(error) });
        outcome = { ok: false, backupId: null, localPath: null, message };
      }
      const run: ScheduleRun = {
        started: started.toISOString(),
        finished: clock.now().toISOString(),
        ok: outcome.ok,
        backupId: outcome.backupId,
        localPath: outcome.localPath,
        message: outcome.message,
        catchUp,
        acknowledged: outcome.ok,
      };
      const latest = await store.get(environmentId);
      const hadFailure = latest?.failure != null;
      await store.put(environmentId, {
        settings: latest?.settings ?? null,
        // Saved anew during the run with another cadence: that save's anchor stands.
        anchor: sameCadence(latest?.settings ?? null, settings) ? run.started : (latest?.anchor ?? run.started),
        lastRun: run,
        failure: outcome.ok ? (latest?.failure ?? null) : run,
      });
      if (outcome.ok) log.info(`scheduled backup of ${environmentId} succeeded: ${outcome.message}`);
      else log.warn(`scheduled backup of ${environmentId} failed: ${outcome.message}`);
      if (!outcome.ok) options.notify?.(`Scheduled backup of ${environmentId} failed`, outcome.message);
      else if (hadFailure) options.notify?.(`Scheduled backup of ${environmentId} succeeded`, outcome.message);
    })()
      .catch((error: unknown) => log.error(`scheduled backup of ${environmentId}: the result could not be saved`, { error: String(error) }))
      .finally(() => running.delete(environmentId))
      .then(async () => {
        if (closed) return;
        arm(environmentId, await store.get(environmentId));
        await changed(environmentId);
      })
      .catch((error: unknown) => log.error(`scheduled backups of ${environmentId} could not be re-armed`, { error: String(error) }));
    running.set(environmentId, task);
    return task;
  };

  return {
    async start() {
      for (const [environmentId, record] of await store.load()) {
        const due = arm(environmentId, record);
        if (due?.catchUp) {
          log.info(`the scheduled backup of ${environmentId} fell due while Quorum was not running; one catch-up run at ${due.at.toISOString()}`);
        }
      }
    },

    async get(environmentId) {
      return stateOf(environmentId, await store.get(environmentId));
    },

    async set(environmentId, settings) {
      const previous = await store.get(environmentId);
      const record: ScheduleRecord = {
        settings,
        // The cadence unchanged (only retention edited): the next run stays where it was.
        anchor: sameCadence(previous?.settings ?? null, settings) ? previous!.anchor : clock.now().toISOString(),
        lastRun: previous?.lastRun ?? null,
        failure: previous?.failure ?? null,
      };
      await store.put(environmentId, record);
      const due = arm(environmentId, record);
      log.info(`scheduled backups of ${environmentId}: ${describeCadence(settings)}, keep ${settings.keep ?? 'any number'}, max age ${settings.maxAgeDays === null ? 'none' : `${settings.maxAgeDays} days`}${settings.includeServer ? ', server copies too' : ''}; next run ${due?.at.toISOString() ?? 'after the current one'}`);
      return changed(environmentId);
    },

    async clear(environmentId) {
      const previous = await store.get(environmentId);
      disarm(environmentId);
      if (previous) await store.put(environmentId, { ...previous, settings: null });
      log.info(`scheduled backups of ${environmentId} turned off`);
      return changed(environmentId);
    },

    async acknowledge(environmentId) {
      const previous = await store.get(environmentId);
      if (previous) {
        const lastRun = previous.lastRun && !previous.lastRun.ok ? { ...previous.lastRun, acknowledged: true } : previous.lastRun;
        await store.put(environmentId, { ...previous, lastRun, failure: null });
      }
      return changed(environmentId);
    },

    async idle() {
      while (running.size > 0) await Promise.all([...running.values()]);
    },

    async close() {
      closed = true;
      for (const id of [...timers.keys()]) disarm(id);
      await Promise.all([...running.values()]);
    },
  };
}
