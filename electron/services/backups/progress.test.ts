import { describe, expect, it } from 'vitest';
import type { OperationProgress } from '../../../shared/ipc/operations';
import { ProgressReporter } from './progress';

describe('ProgressReporter', () => {
  it('fills the bar by bytes when the phase knows its total, and restarts the rate with each phase', async () => {
    const seen: OperationProgress[] = [];
    let bytes = 0;
    const reporter = new ProgressReporter((p) => seen.push(p), () => bytes, 10_000);
    try {
      reporter.phase({ phase: 'dumping', message: 'Dumping' });
      bytes = 900;
      await new Promise((r) => setTimeout(r, 250));
      reporter.phase({ phase: 'dumping', message: 'Dumping' });
      expect(seen.at(-1)!.rate).toBeGreaterThan(0);
      expect(seen.at(-1)!.fraction).toBeUndefined();
      // Storing counts the upload from zero: no negative or stale rate, and a fraction of the archive.
      bytes = 0;
      reporter.phase({ phase: 'storing', message: 'Storing', totalBytes: 400 });
      expect(seen.at(-1)).toMatchObject({ phase: 'storing', bytes: 0, rate: 0, fraction: 0, totalBytes: 400 });
      bytes = 100;
      reporter.phase({ phase: 'storing', message: 'Storing', totalBytes: 400 });
      expect(seen.at(-1)!.fraction).toBe(0.25);
      // Samples from the dump (250 ms old) would make this 100 bytes look like a rate; the phase is too young for one.
      expect(seen.at(-1)!.rate).toBe(0);
    } finally {
      reporter.stop();
    }
  });
});
