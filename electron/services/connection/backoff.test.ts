import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from 0.5 s and caps at 10 s', () => {
    const mid = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, { random: mid }))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('spreads each delay by at most ±25 % and never exceeds the cap', () => {
    expect(backoffDelay(0, { random: () => 0 })).toBe(375);
    expect(backoffDelay(0, { random: () => 1 })).toBe(625);
    expect(backoffDelay(20, { random: () => 1 })).toBe(10_000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2);
      expect(d).toBeGreaterThanOrEqual(1500);
      expect(d).toBeLessThanOrEqual(2500);
    }
  });
});
