/**
 * Juju's `state-server-member-status`, exactly as `juju status` computes it
 * (`@1.25.6:cmd/juju/status/formatter.go` `makeHAStatus`). Two flags drive it:
 * WantsVote (the desired state, set by ensure-availability) and HasVote (the
 * actual replica-set vote, set only by the peergrouper). Operators read these
 * four words to know whether an HA change has settled, so Quorum uses them
 * verbatim rather than inventing its own.
 */

import { assertNever } from '../errors';

export const VOTE_STATUSES = ['has-vote', 'removing-vote', 'adding-vote', 'no-vote'] as const;
export type VoteStatus = (typeof VOTE_STATUSES)[number];

/** Juju 1.25 machine jobs (`state/machine.go`), spelled as Juju prints them. */
export const MACHINE_JOBS = ['JobHostUnits', 'JobManageEnviron', 'JobManageNetworking', 'JobManageStateDeprecated'] as const;
export type MachineJob = (typeof MACHINE_JOBS)[number];

/** The fields of a `juju.machines` document the vote status depends on. */
export interface VoteFlags {
  readonly jobs: readonly MachineJob[];
  readonly noVote: boolean;
  readonly hasVote: boolean;
}

/** True for state servers: only they run juju-db and the peergrouper. */
export function managesEnviron(jobs: readonly MachineJob[]): boolean {
  return jobs.includes('JobManageEnviron');
}

/** WantsVote = JobManageEnviron && !novote. */
export function wantsVote(flags: VoteFlags): boolean {
  return managesEnviron(flags.jobs) && !flags.noVote;
}

/** The HasVote × WantsVote table of Juju's reference (§3.2). */
export function voteStatusOf(hasVote: boolean, wants: boolean): VoteStatus {
  if (hasVote) return wants ? 'has-vote' : 'removing-vote';
  return wants ? 'adding-vote' : 'no-vote';
}

/**
 * The status `juju status` shows for a machine, or null when it shows none:
 * the attribute exists only for machines with `JobManageEnviron`.
 */
export function machineVoteStatus(flags: VoteFlags): VoteStatus | null {
  if (!managesEnviron(flags.jobs)) return null;
  return voteStatusOf(flags.hasVote, wantsVote(flags));
}

/** One line for an operator on what a vote status means right now. */
export function describeVoteStatus(status: VoteStatus): string {
  switch (status) {
    case 'has-vote':
      return 'Votes in the replica set, as intended.';
    case 'removing-vote':
      return 'Still votes, but Juju is taking its vote away.';
    case 'adding-vote':
      return 'Juju wants this machine to vote; the peergrouper has not given it a vote yet.';
    case 'no-vote':
      return 'Does not vote, as intended.';
    default:
      return assertNever(status, 'vote status');
  }
}
