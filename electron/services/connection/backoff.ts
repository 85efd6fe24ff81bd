/**
 * Exponential backoff with jitter for reconnecting to a state server:
 * 0.5 s, 1 s, 2 s … capped at 10 s, each delay spread over ±25 % so that the
 * sessions of one environment do not knock on their hosts in lockstep.
 */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  /** Spread of the jitter, 0..1 (default 0.25). */
  readonly jitter?: number;
  readonly random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 10_000;
  const jitter = options.jitter ?? 0.25;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, Math.min(attempt, 30)));
  const spread = base * jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(max, Math.round(base + spread)));
}
