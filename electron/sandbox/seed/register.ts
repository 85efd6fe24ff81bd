import { isStateServer, type EnvironmentRecord, type MachineRecord } from '../model';
import type { SandboxMachine } from '../machine';
import { globalId, instanceDataDoc, machineDoc } from './juju-docs';
import { connectMember, waitForPrimary, type DriverAuth } from './seed-db';

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
  auth: DriverAuth,
): Promise<void> {
  const endpoints = machines
    .filter((m) => m.stateServer && m.id !== record.id && m.member?.status === 'running')
    .map((m) => ({ machineId: m.id, port: m.member!.port }));
  const primary = await waitForPrimary(endpoints, auth, 10_000);
  const client = connectMember(primary.port, auth);
  try {
    await client.connect();
    const juju = client.db('juju');
    const server = isStateServer(record);
    await juju.collection('machines').insertOne({ ...machineDoc(env, record, []), novote: !server, hasvote: false });
    await juju.collection('instanceData').insertOne(instanceDataDoc(env, record));
    await juju.collection('statuses').insertOne({
      _id: globalId(env, `m#${record.id}`),
      'env-uuid': env.uuid,
      status: 'pending',
      statusinfo: '',
      statusdata: {},
    } as Record<string, unknown> as never);
    if (server) {
      await juju
        .collection('stateServers')
        .updateOne({ _id: 'e' } as never, { $addToSet: { machineids: record.id, votingmachineids: record.id } } as never);
      await client.db('admin').command({
        createUser: `machine-${record.id}`,
        pwd: record.statePassword,
        roles: ['clusterAdmin', 'readWriteAnyDatabase', 'userAdminAnyDatabase', 'dbAdminAnyDatabase'].map((role) => ({ role, db: 'admin' })),
      });
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}
