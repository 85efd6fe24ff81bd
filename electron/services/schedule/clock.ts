/**
 * The scheduler's view of time, injected so tests drive it with a fake clock
 * and the browser host's e2e option can speed it up (`test-clock.ts`).
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` once after `ms` milliseconds; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Node's timers cap a delay at 2^31-1 ms (about 24.8 days); longer waits are re-armed by the scheduler. */
export const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};
