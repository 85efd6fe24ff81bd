/**
 * Guards Quorum adds around ensure-availability, on top of Juju's own rules:
 * - LP 1384549 (juju-core): a new state server whose agent is not up yet is
 *   "unavailable but wants a vote", so `ensureAvailabilityIntentions`
 *   (`@1.25.6:state/addmachine.go`) demotes it and adds yet another machine
 *   if ensure-availability runs again too soon. The fix (PR #2210) was never
 *   merged, so Quorum refuses a re-run while a state server is pending or
 *   `adding-vote` (an operator may override, after confirming).
 * - The slider's stops: 1, 3, 5, 7 (`replicaset.MaxPeers`), never below the
 *   current voting count (`cannot reduce state server count`).
 */

import { machineVoteStatus, wantsVote, type VoteFlags } from '../model/vote-status';

export interface RerunMachine extends VoteFlags {
  readonly id: string;
  /** Agent presence, what `ensureAvailabilityIntentions` calls "available". */
  readonly available: boolean;
  /** The machine agent's status (`pending`, `started`, `down`, `error`…), when known. */
  readonly agentStatus: string | null;
}

export interface RerunHazard {
  readonly id: string;
  /** True when a run right now would demote it (it wants a vote and its agent is not present). */
  readonly wouldDemote: boolean;
  readonly reason: string;
}

/**
 * State servers that make a second ensure-availability unsafe now: those
 * still pending, and those that want a vote but have none yet
 * (`adding-vote`). Failed servers that still hold a vote are not hazards:
 * demoting them is what the recovery procedure wants.
 */
export function rerunHazard(machines: readonly RerunMachine[]): RerunHazard[] {
  const hazards: RerunHazard[] = [];
  for (const m of machines) {
    const status = machineVoteStatus(m);
    if (status === null) continue;
    const pending = m.agentStatus === 'pending';
    if (!pending && status !== 'adding-vote') continue;
    const wouldDemote = !m.available && wantsVote(m);
    const state = pending ? 'its agent is still pending' : m.available ? 'it has no vote yet (adding-vote)' : 'its agent is not up and it has no vote yet (adding-vote)';
    const effect = wouldDemote
      ? 'running ensure-availability again now would demote it and add another machine (LP 1384549)'
      : 'running ensure-availability again before it shows has-vote risks demoting it and adding another machine if its agent drops meanwhile (LP 1384549)';
    hazards.push({ id: m.id, wouldDemote, reason: `machine ${m.id}: ${state}; ${effect}. Wait until it shows has-vote.` });
  }
  return hazards;
}

export const STATE_SERVER_COUNTS = [1, 3, 5, 7] as const;
export type StateServerCount = (typeof STATE_SERVER_COUNTS)[number];

export interface CountStop {
  readonly n: StateServerCount;
  readonly enabled: boolean;
  /** Marks the current voting count on the slider. */
  readonly current: boolean;
  /** Juju's words when disabled, else null. */
  readonly reason: string | null;
}

/** The slider's stops for a set with `currentVoting` voters (Juju checks `len(VotingMachineIds) > desired`). */
export function availableCounts(currentVoting: number): CountStop[] {
  return STATE_SERVER_COUNTS.map((n) => {
    const enabled = n >= currentVoting;
    return { n, enabled, current: n === currentVoting, reason: enabled ? null : 'cannot reduce state server count' };
  });
}
