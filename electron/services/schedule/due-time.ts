import type { Cadence } from '../../../shared/ipc/channels/schedule';

/**
 * When a schedule's next run falls due, as pure functions of the cadence and
 * the run's anchor (when the schedule was saved, or when the last run
 * started). "Every N hours" counts elapsed time, so a DST change does not
 * move it. "Daily at HH:MM" is the operator's local wall-clock time:
 *  - on the spring-forward day, a time inside the skipped hour (02:30 where
 *    02:00 jumps to 03:00) runs at the same offset past the jump (03:30), once;
 *  - on the fall-back day, a time inside the repeated hour runs at its first
 *    occurrence only: the next due time is always strictly after the anchor,
 *    and the anchor is then that run's start.
 */

const HOUR_MS = 60 * 60 * 1000;

function parseTime(time: string): { hours: number; minutes: number } {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  if (!m) throw new RangeError(`not a time of day: ${time}`);
  return { hours: Number(m[1]), minutes: Number(m[2]) };
}

/** The first local `time` strictly after `after`. */
export function nextDailyAt(time: string, after: Date): Date {
  const { hours, minutes } = parseTime(time);
  for (let day = 0; day <= 2; day += 1) {
    // Built from local calendar fields: JavaScript resolves a skipped wall time forwards and a repeated one to its first occurrence.
    const candidate = new Date(after.getFullYear(), after.getMonth(), after.getDate() + day, hours, minutes, 0, 0);
    if (candidate.getTime() > after.getTime()) return candidate;
  }
  throw new Error('unreachable: a daily time always recurs within two days');
}

/** The next due time after `anchor`. */
export function nextDue(cadence: Cadence, anchor: Date): Date {
  return cadence.kind === 'interval' ? new Date(anchor.getTime() + cadence.hours * HOUR_MS) : nextDailyAt(cadence.time, anchor);
}

export interface Due {
  readonly at: Date;
  /** True when the schedule's due time passed while Quorum was not running: one catch-up run, soon, never a burst. */
  readonly catchUp: boolean;
}

/**
 * The time to arm the timer for: the next due time after the anchor, or,
 * when that time has already passed (Quorum was closed, or the machine
 * slept), a single catch-up run `catchUpDelayMs` from now. However many runs
 * were missed, one catch-up runs; the next due time then counts from it.
 */
export function dueTime(cadence: Cadence, anchor: Date, now: Date, catchUpDelayMs: number): Due {
  const due = nextDue(cadence, anchor);
  if (due.getTime() > now.getTime()) return { at: due, catchUp: false };
  return { at: new Date(now.getTime() + catchUpDelayMs), catchUp: true };
}
