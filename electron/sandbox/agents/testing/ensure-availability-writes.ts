import type { JujuDbClient } from '../../../services/mongo/juju-db-client';
import { applyIntentions, ensureAvailabilityIntentions, type EnsureAvailabilityIntentions, type HaMachine } from '../../../../shared/ha/ensure-availability';
import { JOB_CODES } from '../../../../shared/model/juju-documents';
import { newMachineDoc } from '../../juju-api/high-availability';
import { LIFE, MACHINES, STATE_SERVERS, STATUSES, machineDocId, readMachines, readStateServers, statusId } from '../juju-state';

/**
 * For tests: the documents `HighAvailability.EnsureAvailability` writes in
 * its transaction (the API server's contract with the provisioner and the
 * peergrouper), computed with shared/ha's rules and written straight into
 * juju-db: `stateServers` `e`, the changed machines' jobs and `novote`, and
 * for each new machine a machine document (alive, JobHostUnits +
 * JobManageEnviron, novote false, hasvote false, no instance yet) and its
 * `pending` agent status.
 */

export interface EnsureAvailabilityWrite {
  readonly intentions: EnsureAvailabilityIntentions;
  readonly newIds: readonly string[];
}

export async function writeEnsureAvailability(
  client: JujuDbClient,
  env: { readonly uuid: string; readonly series: string },
  numStateServers: number,
  available: (id: string) => boolean,
): Promise<EnsureAvailabilityWrite> {
  const stateServers = await readStateServers(client);
  const machines = await readMachines(client, env.uuid);
  const haMachines: HaMachine[] = machines.map((m) => ({ id: m.id, jobs: m.jobs, noVote: m.noVote, hasVote: m.hasVote, available: available(m.id), series: m.series }));
  const outcome = ensureAvailabilityIntentions({ stateServers, machines: haMachines, numStateServers });
  if (!outcome.ok) throw new Error(outcome.error);
  const intentions = outcome.value;
  const top = Math.max(-1, ...machines.map((m) => Number(m.id)));
  const newIds = Array.from({ length: intentions.add }, (_, i) => String(top + 1 + i));
  const applied = applyIntentions({ stateServers, machines: haMachines }, intentions, newIds);
  if (!applied.ok) throw new Error(applied.error);
  if (intentions.noOp) return { intentions, newIds };
  for (const change of applied.value.machines) {
    const jobs = change.jobs.map((j) => JOB_CODES[j]);
    if (!change.inserted) {
      await client.update(MACHINES, { _id: machineDocId(env.uuid, change.id) }, { $set: { jobs, novote: change.noVote } });
      continue;
    }
    await client.insert(MACHINES, [newMachineDoc(env.uuid, change.id, env.series, change.jobs, change.placement ?? '')]);
    await client.insert(STATUSES, [{ _id: statusId(env.uuid, change.id), 'env-uuid': env.uuid, status: 'pending', statusinfo: '', statusdata: {}, updated: Date.now() * 1_000_000 }]);
  }
  const { machineIds, votingMachineIds } = applied.value.stateServers;
  await client.update(STATE_SERVERS, { _id: 'e' }, { $set: { machineids: [...machineIds], votingmachineids: [...votingMachineIds] } });
  return { intentions, newIds };
}

/** `Client.DestroyMachines`: life dying, or dead with `--force`. */
export async function destroyMachine(client: JujuDbClient, envUuid: string, id: string, force: boolean): Promise<void> {
  await client.update(MACHINES, { _id: machineDocId(envUuid, id) }, { $set: { life: force ? LIFE.dead : LIFE.dying } });
}
