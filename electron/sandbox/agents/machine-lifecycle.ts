import fs from 'node:fs/promises';
import path from 'node:path';
import type { JujuDbCluster } from '../juju-db/api';
import { createHostKey } from '../keys';
import type { SandboxLayout } from '../layout';
import { SandboxMachine } from '../machine';
import type { ServiceName } from '../../../shared/remote-commands';
import { isStateServer, type EnvironmentRecord, type MachineRecord } from '../model';
import type { EnvironmentKeys } from '../secrets';
import { buildMachineTree } from '../tree/build-tree';

/**
 * Creating and destroying sandbox machines (instances): a new SSH host with
 * its own host key, a Juju 1.25 tree with agent.conf, and on state servers
 * a juju-db member that starts outside the replica set (the peergrouper
 * adds it). Used by `addMachine` and by the provisioner.
 */

export interface MachineContext {
  readonly layout: SandboxLayout;
  readonly env: EnvironmentRecord;
  readonly keys: EnvironmentKeys;
  readonly cluster: JujuDbCluster;
  readonly machines: Map<string, SandboxMachine>;
}

/** The machine agent's upstart job (`jujud-machine-N`) and its units' jobs. */
export function agentServices(machine: SandboxMachine): ServiceName[] {
  return machine.agents.map((a) => a.service as ServiceName);
}

export async function stopAgents(machine: SandboxMachine): Promise<void> {
  for (const service of agentServices(machine)) {
    if (machine.isRunning(service)) await machine.services.run(service, 'stop');
  }
}

export async function startAgents(machine: SandboxMachine): Promise<void> {
  for (const service of agentServices(machine)) {
    if (!machine.isRunning(service)) await machine.services.run(service, 'start');
  }
}

/** juju-db's files for a member (the cluster keeps them under `machine-<id>/`). */
function memberDataDir(layout: SandboxLayout, id: string): string {
  return path.join(layout.jujuDbDir, `machine-${id}`);
}

/**
 * Builds and boots a machine for `record` and adds it to the sandbox. With
 * `agentRunning: false` its jujud jobs are stopped before anything (the
 * presence supervisor included) can see it running.
 */
export async function launchMachine(ctx: MachineContext, record: MachineRecord, agentRunning: boolean): Promise<SandboxMachine> {
  const { layout, env, keys } = ctx;
  ctx.env.machines.push(record);
  let machine: SandboxMachine | undefined;
  try {
    await buildMachineTree(layout.machineRoot(record.id), env, record, keys);
    const hostKey = await createHostKey(layout.hostKeyFile(record.id), record.id);
    machine = new SandboxMachine(record, {
      root: layout.machineRoot(record.id),
      hostKey: hostKey.privateKey,
      environmentPublicKey: keys.environmentPublicKey,
      unitNames: [],
      cluster: ctx.cluster,
      api: { adminPassword: () => Promise.resolve(keys.adminUserPassword) },
    });
    await machine.powerOn(true);
    if (!agentRunning) {
      await stopAgents(machine);
      await machine.reconcileApi(); // no agent, no API server
    }
    ctx.machines.set(record.id, machine);
    return machine;
  } catch (err) {
    await machine?.shutdown().catch(() => undefined);
    if (isStateServer(record)) await ctx.cluster.stopMember(record.id).catch(() => undefined);
    ctx.machines.delete(record.id);
    const i = env.machines.indexOf(record);
    if (i >= 0) env.machines.splice(i, 1);
    await fs.rm(layout.machineDir(record.id), { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Terminates an instance: its agents stop (call `afterAgentsStopped` to let
 * presence notice while the machine is still listed), SSH closes, its
 * juju-db member stops, and its tree, host key and member data are deleted.
 */
export async function destroyMachine(ctx: MachineContext, id: string, afterAgentsStopped: () => void): Promise<void> {
  const machine = ctx.machines.get(id);
  if (machine !== undefined) {
    await stopAgents(machine);
    afterAgentsStopped();
    await machine.shutdown();
  }
  if (ctx.cluster.member(id)?.status === 'running') await ctx.cluster.stopMember(id);
  ctx.machines.delete(id);
  const i = ctx.env.machines.findIndex((m) => m.id === id);
  if (i >= 0) ctx.env.machines.splice(i, 1);
  await fs.rm(ctx.layout.machineDir(id), { recursive: true, force: true });
  await fs.rm(memberDataDir(ctx.layout, id), { recursive: true, force: true });
}
