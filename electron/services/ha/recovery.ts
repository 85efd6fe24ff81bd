import type { RecoveryPlan } from '../../../shared/ipc/channels/ha';
import type { Topology } from '../../../shared/model/topology';
import { computePreview, downButPresent, failedStateServers, haMachine, hazardsOf, isAvailable } from './ha-model';

/**
 * Juju's procedure for failed state servers while a majority remains
 * (the seed's three steps), as a plan for "what applies now":
 * 1. `ensure-availability` with the current count: the failed ones are
 *    demoted (novote) and replacements added;
 * 2. once the replacements have a vote (and the failed ones lost theirs),
 *    `ensure-availability` again: the failed ones, neither wanting nor
 *    holding a vote, are removed from the state servers (JobManageEnviron
 *    pulled);
 * 3. `remove-machine` the failed machines (`Client.DestroyMachines`).
 * Step 3's machines are no longer state servers, so nothing in Juju's
 * documents says they were: Quorum remembers the ids an earlier run removed
 * (`formerStateServers`). With quorum lost no step applies: only a restore
 * recovers.
 */
export function recoveryPlan(topology: Topology | null, environmentId: string, formerStateServers: ReadonlySet<string>): RecoveryPlan {
  const base = { environmentId, failedMachineIds: [] as string[], waitFor: null, preview: null, removeMachineIds: [] as string[] };
  if (topology === null || topology.stale) {
    return { ...base, situation: 'unknown', step: null, sentence: 'Quorum cannot read the state servers right now, so it cannot tell which recovery step applies. Check the connection first.' };
  }
  const quorum = topology.quorum;
  const failed = failedStateServers(topology);
  if (quorum.voting > 0 && !quorum.holds) {
    return {
      ...base,
      situation: 'quorum-lost',
      step: null,
      failedMachineIds: failed,
      sentence: `Quorum is lost (${quorum.healthyVoters} of ${quorum.voting} voters up): the replica set cannot elect a primary, so Juju cannot run ensure-availability. Only restoring a backup recovers the environment.`,
    };
  }
  const leftovers = topology.machines.filter((m) => formerStateServers.has(m.id) && !m.isStateServer && m.life !== 'dead' && !isAvailable(m)).map((m) => m.id);
  const allFailed = [...new Set([...failed, ...leftovers])];
  const withFailed = { ...base, failedMachineIds: allFailed };
  const hazards = hazardsOf(topology);
  const removing = topology.machines.filter((m) => m.isStateServer && m.voteStatus === 'removing-vote').map((m) => m.id);
  const { preview, intentions } = computePreview(topology, { n: 0 });
  const step: 1 | 2 | null = intentions?.demote.length ? 1 : failed.length > 0 ? 2 : null;

  const unnoticed = topology.machines.filter((m) => m.isStateServer && downButPresent(m)).map((m) => m.id);
  if (unnoticed.length > 0) {
    return {
      ...withFailed,
      situation: 'settling',
      step: 1,
      sentence: `${list(unnoticed)} ${unnoticed.length === 1 ? 'is' : 'are'} down, but Juju still sees the agent alive: its presence expires within a minute. ensure-availability would change nothing until then.`,
      waitFor: `Wait for Juju to see the agent of ${list(unnoticed)} go (at most about a minute).`,
    };
  }
  if (hazards.length > 0 || (removing.length > 0 && step !== 1)) {
    const waiting = [
      ...hazards.map((h) => `machine ${h.id} to show has-vote`),
      ...removing.map((id) => `machine ${id} to lose its vote (removing-vote → no-vote)`),
    ];
    return {
      ...withFailed,
      situation: 'settling',
      step: step ?? (leftovers.length > 0 ? 3 : null),
      sentence: 'The last change is still settling: the peergrouper has not moved every vote yet. Running ensure-availability now could demote a new state server and add another (LP 1384549).',
      waitFor: `Wait for ${waiting.join(', ')}.`,
    };
  }
  if (step === 1) {
    return {
      ...withFailed,
      situation: 'recoverable',
      step: 1,
      sentence: `Step 1 of 3: run ensure-availability (-n ${preview.desired ?? 0}). Juju demotes the failed state server${plural(intentions?.demote ?? [])} ${list(intentions?.demote ?? [])} and adds replacements. Then wait until the new machines show has-vote.`,
      preview,
    };
  }
  if (step === 2 && intentions !== null && intentions.remove.length > 0) {
    return {
      ...withFailed,
      situation: 'recoverable',
      step: 2,
      sentence: `Step 2 of 3: the replacements vote. Run ensure-availability again: Juju removes ${list(intentions.remove)} from the state servers. Then remove the machine${plural(intentions.remove)} (step 3).`,
      preview,
    };
  }
  if (step === 2) {
    return {
      ...withFailed,
      situation: 'settling',
      step: 2,
      sentence: `Step 2 of 3: ${list(failed)} still ${failed.length === 1 ? 'counts' : 'count'} as a state server and the plan does not remove it yet.`,
      waitFor: `Wait for the peergrouper to take the vote from ${list(failed)}.`,
      preview,
    };
  }
  if (leftovers.length > 0) {
    return {
      ...withFailed,
      situation: 'recoverable',
      step: 3,
      sentence: `Step 3 of 3: remove the failed machine${plural(leftovers)} ${list(leftovers)} (juju remove-machine; use force when its agent is down, or the machine stays dying).`,
      removeMachineIds: leftovers,
    };
  }
  const voters = topology.machines.filter((m) => m.isStateServer && haMachine(m).hasVote).length;
  return { ...base, situation: 'healthy', step: null, sentence: `Every state server is up (${voters} voting): no recovery is needed.` };
}

function list(ids: readonly string[]): string {
  return ids.map((id) => `machine ${id}`).join(', ');
}

function plural(ids: readonly string[]): string {
  return ids.length === 1 ? '' : 's';
}
