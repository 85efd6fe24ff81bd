import type { Logger } from '../log';
import { MAX_TIMER_MS, type Clock } from './clock';

/**
 * A faster clock for the browser host's end-to-end tests ONLY, so the
 * Playwright schedule flow sees a run fall due in seconds rather than an
 * hour (or up to a minute with "daily at" the next minute, plus the wait
 * being tied to the wall clock's minute boundary, which makes a flaky test).
 * It is set by `QUORUM_E2E_SCHEDULE_CLOCK_RATE` (the e2e fixture passes it),
 * read only by the browser host's entry point (never by Electron's main, the
 * CLI or the services), and logged as a warning when in effect. Time runs
 * `rate` times faster from the moment the host started: with 360, "every 1
 * hour" falls due 10 s after it is saved. Only the scheduler sees this clock;
 * backups, metadata and retention keep real time.
 */
export const E2E_CLOCK_RATE_VARIABLE = 'QUORUM_E2E_SCHEDULE_CLOCK_RATE';

export function acceleratedClock(rate: number, origin = Date.now()): Clock {
  return {
    now: () => new Date(origin + (Date.now() - origin) * rate),
    setTimer(ms, fn) {
      const timer = setTimeout(fn, Math.min(Math.max(0, ms / rate), MAX_TIMER_MS));
      timer.unref?.();
      return () => clearTimeout(timer);
    },
  };
}

/** The accelerated clock when the e2e variable asks for one (a number from 1 to 100000), else undefined. */
export function e2eScheduleClock(env: Readonly<Record<string, string | undefined>>, log: Pick<Logger, 'warn'>): Clock | undefined {
  const raw = env[E2E_CLOCK_RATE_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  const rate = Number(raw);
  if (!Number.isFinite(rate) || rate < 1 || rate > 100_000) {
    log.warn(`${E2E_CLOCK_RATE_VARIABLE}=${raw} ignored: it must be a number from 1 to 100000`);
    return undefined;
  }
  log.warn(`Test clock: scheduled backups run ${rate} times faster (${E2E_CLOCK_RATE_VARIABLE}); never set this outside end-to-end tests`);
  return acceleratedClock(rate);
}
