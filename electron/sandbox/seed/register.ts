import { isStateServer, type EnvironmentRecord, type MachineRecord } from '../model';
import type { SandboxMachine } from '../machine';
import { globalId, instanceDataDoc, machineDoc } from './juju-docs';
import { addAdminUser, waitForPrimary, withMember, type MemberAuth } from './seed-db';

/**
 * Records a new machine in juju-db the way Juju's state does before the
 * provider starts it: machine and instance documents, its status, and for a
 * state server (as ensure-availability adds one) a place in `stateServers`
 * wanting a vote but not having it yet (`adding-vote`) and its Mongo user.
 */
export async function registerMachine(
  env: EnvironmentRecord,
  record: MachineRecord,
  machines: readonly SandboxMachine[],
  auth: MemberAuth,
): Promise<void> {
  const endpoints = machines
    .filter((m) => m.stateServer && m.id !== record.id && m.member?.status === 'running')
    .map((m) => ({ machineId: m.id, port: m.member!.port }));
  const primary = await waitForPrimary(endpoints, auth, 10_000);
  await withMember(primary.port, auth, async (client) => {
    const juju = (collection: string) => ({ db: 'juju', collection });
    const server = isStateServer(record);
    await client.insert(juju('machines'), [{ ...machineDoc(env, record, []), novote: !server, hasvote: false }]);
    await client.insert(juju('instanceData'), [instanceDataDoc(env, record)]);
    await client.insert(juju('statuses'), [{ _id: globalId(env, `m#${record.id}`), 'env-uuid': env.uuid, status: 'pending', statusinfo: '', statusdata: {} }]);
    if (server) {
      await client.update(juju('stateServers'), { _id: 'e' }, { $addToSet: { machineids: record.id, votingmachineids: record.id } });
      await addAdminUser(client, `machine-${record.id}`, record.statePassword);
    }
  });
}
