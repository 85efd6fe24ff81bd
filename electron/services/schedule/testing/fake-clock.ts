import type { Clock } from '../clock';

/** A clock tests move by hand: timers fire in time order as `advance` passes them. */
export class FakeClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  #seq = 0;

  constructor(start: Date) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), fn, seq: this.#seq++ };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Pending timers' due times (ISO), soonest first. */
  pending(): string[] {
    return [...this.#timers].sort((a, b) => a.at - b.at).map((t) => new Date(t.at).toISOString());
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due on the way
   * at its own time; `settle` runs after each firing (await the scheduler's
   * runs there, so a run's re-armed timer is seen).
   */
  async advance(ms: number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      const next = [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > end) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}
