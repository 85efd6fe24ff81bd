/**
 * Replica-set quorum maths. MongoDB elects (and keeps) a primary only while a
 * strict majority of the voting members can see each other; Juju keeps the
 * number of voters odd (1, 3, 5 or 7) for exactly that reason. Operators need
 * two numbers from this at a glance: does the set still have quorum, and how
 * many more failures it can take before it does not.
 */

export interface QuorumSummary {
  /** Members with `votes > 0` in the replica-set config. */
  readonly voting: number;
  /** ⌊voting/2⌋+1: voters that must be up for an election to succeed. */
  readonly majority: number;
  /** Voters that are up and part of the set (see `isHealthyMemberState`). */
  readonly healthyVoters: number;
  /** True while healthy voters reach the majority. */
  readonly holds: boolean;
  /** How many more voters may fail with quorum still holding (0 when it is lost). */
  readonly survivesFailures: number;
  /** The banner sentence, in Quorum's words. */
  readonly sentence: string;
}

/** ⌊n/2⌋+1 for n > 0; a set with no voters has no majority to reach. */
export function majorityOf(voting: number): number {
  if (!Number.isInteger(voting) || voting < 0) throw new RangeError(`voting count must be a non-negative integer: ${voting}`);
  return voting === 0 ? 0 : Math.floor(voting / 2) + 1;
}

/** The quorum summary of a set with `voting` voters of which `healthyVoters` are up. */
export function summarizeQuorum(voting: number, healthyVoters: number): QuorumSummary {
  const majority = majorityOf(voting);
  if (!Number.isInteger(healthyVoters) || healthyVoters < 0 || healthyVoters > voting) {
    throw new RangeError(`healthy voters must be between 0 and ${voting}: ${healthyVoters}`);
  }
  const holds = voting > 0 && healthyVoters >= majority;
  const survivesFailures = holds ? healthyVoters - majority : 0;
  return { voting, majority, healthyVoters, holds, survivesFailures, sentence: quorumSentence(voting, healthyVoters, holds, survivesFailures) };
}

function quorumSentence(voting: number, healthy: number, holds: boolean, survives: number): string {
  if (voting === 0) return 'No voting members are known: the replica set has not been read yet.';
  const counted = `${healthy} of ${voting} voting ${voting === 1 ? 'member' : 'members'} healthy`;
  if (!holds) {
    return `Quorum lost: ${counted}. The replica set cannot elect a primary; restore from a backup is the way out.`;
  }
  if (survives === 0) return `${counted} — survives no further failure`;
  return `${counted} — survives ${survives} ${survives === 1 ? 'failure' : 'failures'}`;
}
