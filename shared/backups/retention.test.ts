import { describe, expect, it } from 'vitest';
import { planRetention, retentionPolicyProblem, type RetentionEntry } from './retention';

const NOW = new Date('2026-12-04T12:00:00Z');
const UUID = '3f0c1a7e-5b2d-4c8e-9a1f-0d2e3f4a5b6c';

/** A backup started `daysAgo` days before NOW. */
function backup(daysAgo: number, verified = true): RetentionEntry {
  const started = new Date(NOW.getTime() - daysAgo * 86_400_000);
  const stamp = started.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return { key: `/backups/juju-backup-${stamp}.tar.gz`, id: `${stamp}.${UUID}`, started: started.toISOString(), verified };
}

const removed = (decisions: ReturnType<typeof planRetention>): string[] =>
  decisions.filter((d) => d.action === 'remove').map((d) => d.entry.key);

describe('planRetention', () => {
  it('keeps the newest N by count and removes the rest, whatever the input order', () => {
    const all = [backup(5), backup(1), backup(3), backup(2), backup(4)];
    const decisions = planRetention(all, { keep: 2 }, NOW);
    expect(decisions.map((d) => d.entry)).toEqual(all);
    expect(removed(decisions).sort()).toEqual([backup(5), backup(3), backup(4)].map((b) => b.key).sort());
    expect(decisions.find((d) => d.entry.key === backup(3).key)?.reason).toBe('beyond the newest 2 backups');
    expect(decisions.find((d) => d.entry.key === backup(1).key)?.reason).toBe('among the newest 2 backups');
  });

  it('removes backups older than the maximum age', () => {
    const decisions = planRetention([backup(0.5), backup(6.9), backup(7.1), backup(30)], { maxAgeDays: 7 }, NOW);
    expect(removed(decisions)).toEqual([backup(7.1).key, backup(30).key]);
    expect(decisions[2]!.reason).toBe('older than 7 days');
  });

  it('applies both limits: a backup goes when it is past either', () => {
    const decisions = planRetention([backup(1), backup(2), backup(3), backup(40)], { keep: 3, maxAgeDays: 30 }, NOW);
    expect(removed(decisions)).toEqual([backup(40).key]);
    expect(removed(planRetention([backup(1), backup(2), backup(3), backup(4)], { keep: 3, maxAgeDays: 30 }, NOW))).toEqual([backup(4).key]);
  });

  it('never removes the newest verified backup, even when every limit says so', () => {
    const old = [backup(50, false), backup(60, true), backup(70, true)];
    const decisions = planRetention(old, { maxAgeDays: 7 }, NOW);
    expect(removed(decisions)).toEqual([backup(50, false).key, backup(70).key]);
    expect(decisions[1]).toMatchObject({ action: 'keep', reason: 'newest verified backup: always kept' });

    // keep 1 keeps the newest (unverified) one; the newest verified stays as well.
    const byCount = planRetention([backup(1, false), backup(2, false), backup(3, true), backup(4, true)], { keep: 1 }, NOW);
    expect(byCount.filter((d) => d.action === 'keep').map((d) => d.entry.key)).toEqual([backup(1).key, backup(3).key]);
  });

  it('keeps everything when no backup is verified and no limit is crossed, and removes by limits when none is verified', () => {
    expect(removed(planRetention([backup(1, false), backup(2, false)], { keep: 5 }, NOW))).toEqual([]);
    expect(removed(planRetention([backup(1, false), backup(2, false)], { keep: 1 }, NOW))).toEqual([backup(2).key]);
  });

  it('never removes an entry it cannot identify as a Juju backup', () => {
    const stranger: RetentionEntry = { key: '/backups/notes.tar.gz', id: null, started: '2001-01-01T00:00:00Z', verified: false };
    const undated: RetentionEntry = { key: '/backups/undated.tar.gz', id: `20010101-000000.${UUID}`, started: null, verified: false };
    const garbled: RetentionEntry = { key: '/backups/garbled.tar.gz', id: `20010101-000000.${UUID}`, started: 'yesterday', verified: false };
    const decisions = planRetention([stranger, undated, garbled, backup(1)], { keep: 1, maxAgeDays: 1 }, NOW);
    expect(removed(decisions)).toEqual([]);
    expect(decisions[0]!.reason).toBe('not identified as a Juju backup: never removed');
    expect(decisions[1]!.reason).toBe('start time unknown: never removed');
    expect(decisions[2]!.action).toBe('keep');
  });

  it('does not count unidentified entries against the limit', () => {
    const stranger: RetentionEntry = { key: '/backups/x.tar.gz', id: null, started: null, verified: false };
    expect(removed(planRetention([stranger, backup(1), backup(2)], { keep: 2 }, NOW))).toEqual([]);
  });

  it('removes nothing without limits', () => {
    const decisions = planRetention([backup(1), backup(400)], {}, NOW);
    expect(removed(decisions)).toEqual([]);
    expect(decisions[1]!.reason).toBe('no retention limit set');
  });

  it('orders backups started in the same second by ID, not by input order', () => {
    const a: RetentionEntry = { key: 'a', id: `20261204-100000.${UUID}`, started: '2026-12-04T10:00:00Z', verified: false };
    const b: RetentionEntry = { key: 'b', id: `20261204-100000.${UUID.replace('3f', '4f')}`, started: '2026-12-04T10:00:00Z', verified: false };
    expect(removed(planRetention([a, b], { keep: 1 }, NOW))).toEqual(removed(planRetention([b, a], { keep: 1 }, NOW)));
  });

  it('refuses unusable policies', () => {
    expect(retentionPolicyProblem({ keep: 0 })).toMatch(/at least 1/);
    expect(retentionPolicyProblem({ keep: 2.5 })).toMatch(/whole number/);
    expect(retentionPolicyProblem({ maxAgeDays: 0 })).toMatch(/positive/);
    expect(retentionPolicyProblem({ keep: 3, maxAgeDays: 0.5 })).toBeNull();
    expect(() => planRetention([], { keep: -1 }, NOW)).toThrow(RangeError);
  });
});
