import { describe, expect, it } from 'vitest';
import { describeVoteStatus, machineVoteStatus, VOTE_STATUSES, voteStatusOf, wantsVote, type MachineJob } from './vote-status';

describe('voteStatusOf (HasVote × WantsVote, juju status formatter)', () => {
  it.each([
    [true, true, 'has-vote'],
    [true, false, 'removing-vote'],
    [false, true, 'adding-vote'],
    [false, false, 'no-vote'],
  ] as const)('hasVote=%s wantsVote=%s → %s', (hasVote, wants, expected) => {
    expect(voteStatusOf(hasVote, wants)).toBe(expected);
  });
});

describe('machineVoteStatus', () => {
  const manager: MachineJob[] = ['JobHostUnits', 'JobManageEnviron'];

  it.each([
    // jobs, novote, hasvote → shown
    [manager, false, true, 'has-vote'],
    [manager, true, true, 'removing-vote'],
    [manager, false, false, 'adding-vote'],
    [manager, true, false, 'no-vote'],
  ] as const)('state server jobs=%j novote=%s hasvote=%s → %s', (jobs, noVote, hasVote, expected) => {
    expect(machineVoteStatus({ jobs, noVote, hasVote })).toBe(expected);
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('shows nothing for a machine without JobManageEnviron (novote=%s hasvote=%s)', (noVote, hasVote) => {
    expect(machineVoteStatus({ jobs: ['JobHostUnits'], noVote, hasVote })).toBeNull();
    expect(machineVoteStatus({ jobs: [], noVote, hasVote })).toBeNull();
  });

  it('WantsVote needs JobManageEnviron and novote=false', () => {
    expect(wantsVote({ jobs: ['JobManageEnviron'], noVote: false, hasVote: false })).toBe(true);
    expect(wantsVote({ jobs: ['JobManageEnviron'], noVote: true, hasVote: true })).toBe(false);
    expect(wantsVote({ jobs: ['JobHostUnits'], noVote: false, hasVote: true })).toBe(false);
  });

  it('describes every status in a distinct sentence', () => {
    const sentences = VOTE_STATUSES.map(describeVoteStatus);
    expect(new Set(sentences).size).toBe(VOTE_STATUSES.length);
  });
});
