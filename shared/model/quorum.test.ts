import { describe, expect, it } from 'vitest';
import { majorityOf, summarizeQuorum } from './quorum';

describe('majorityOf', () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [6, 4],
    [7, 4],
  ])('%i voters → majority %i', (n, majority) => {
    expect(majorityOf(n)).toBe(majority);
  });

  it('rejects negative and fractional counts', () => {
    expect(() => majorityOf(-1)).toThrow(RangeError);
    expect(() => majorityOf(1.5)).toThrow(RangeError);
  });
});

describe('summarizeQuorum for 1, 3, 5 and 7 voters with 0..n failures', () => {
  const cases: [voters: number, failures: number, holds: boolean, survives: number][] = [];
  for (const voters of [1, 3, 5, 7]) {
    const majority = Math.floor(voters / 2) + 1;
    for (let failures = 0; failures <= voters; failures++) {
      const healthy = voters - failures;
      cases.push([voters, failures, healthy >= majority, Math.max(0, healthy - majority)]);
    }
  }

  it('covers every case', () => {
    expect(cases).toHaveLength(2 + 4 + 6 + 8);
  });

  it.each(cases)('%i voters, %i failed → holds=%s, survives %i', (voters, failures, holds, survives) => {
    const q = summarizeQuorum(voters, voters - failures);
    expect(q.voting).toBe(voters);
    expect(q.majority).toBe(Math.floor(voters / 2) + 1);
    expect(q.healthyVoters).toBe(voters - failures);
    expect(q.holds).toBe(holds);
    expect(q.survivesFailures).toBe(survives);
    expect(q.sentence.startsWith('Quorum lost')).toBe(!holds);
  });

  it('spells out the literal hand-checked figures', () => {
    // 3 voters: survives 1; 5: survives 2; 7: survives 3 — Juju's HA docs.
    expect(summarizeQuorum(3, 3).survivesFailures).toBe(1);
    expect(summarizeQuorum(5, 5).survivesFailures).toBe(2);
    expect(summarizeQuorum(7, 7).survivesFailures).toBe(3);
    expect(summarizeQuorum(1, 1).survivesFailures).toBe(0);
    expect(summarizeQuorum(3, 1).holds).toBe(false);
    expect(summarizeQuorum(7, 4).holds).toBe(true);
    expect(summarizeQuorum(7, 3).holds).toBe(false);
  });
});

describe('quorum sentences', () => {
  it('says how many failures a healthy set survives', () => {
    expect(summarizeQuorum(3, 3).sentence).toBe('3 of 3 voting members healthy — survives 1 failure');
    expect(summarizeQuorum(5, 5).sentence).toBe('5 of 5 voting members healthy — survives 2 failures');
    expect(summarizeQuorum(3, 2).sentence).toBe('2 of 3 voting members healthy — survives no further failure');
    expect(summarizeQuorum(1, 1).sentence).toBe('1 of 1 voting member healthy — survives no further failure');
  });

  it('says quorum is lost and that restore is the way out', () => {
    expect(summarizeQuorum(3, 1).sentence).toBe(
      'Quorum lost: 1 of 3 voting members healthy. The replica set cannot elect a primary; restore from a backup is the way out.',
    );
    expect(summarizeQuorum(1, 0).sentence).toMatch(/^Quorum lost: 0 of 1 voting member healthy\./);
  });

  it('with no voters known, says so rather than claiming quorum', () => {
    const q = summarizeQuorum(0, 0);
    expect(q.holds).toBe(false);
    expect(q.sentence).toMatch(/No voting members/);
  });

  it('rejects more healthy voters than voters', () => {
    expect(() => summarizeQuorum(3, 4)).toThrow(RangeError);
  });
});
