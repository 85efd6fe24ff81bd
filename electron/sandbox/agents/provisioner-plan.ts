import type { MachineJob } from '../model';
import type { MachineState } from './juju-state';

/**
 * The provisioner's decisions, pure: which machines to start as new sandbox
 * machines and which to stop and remove. Juju 1.25's environ provisioner
 * (`worker/provisioner/provisioner_task.go`) starts an instance for every
 * alive machine without an instance id (`pending`), and stops and removes
 * dead ones; the machiner on the machine turns a dying machine with no
 * units dead (`worker/machiner`). The sandbox plays both parts.
 */

export interface ProvisionerView {
  readonly machines: readonly MachineState[];
  /** Machine ids with an `instanceData` document. */
  readonly provisioned: ReadonlySet<string>;
  /** Machine ids the sandbox runs (a host exists). */
  readonly sandboxMachines: ReadonlySet<string>;
  /** Sandbox machines the provisioner started whose agent has not come up yet (e.g. the sandbox restarted meanwhile). */
  readonly pending: ReadonlySet<string>;
  /** Sandbox machines whose machine agent runs (its machiner can act). */
  readonly agentRunning: ReadonlySet<string>;
  /** Machine ids with a unit document assigned (`units.machineid`). */
  readonly withUnits: ReadonlySet<string>;
  /** Machines the provisioner is already starting or stopping. */
  readonly busy: ReadonlySet<string>;
}

export interface ProvisionAction {
  readonly id: string;
  /** Sandbox jobs (the two a sandbox machine can have), from the document's jobs. */
  readonly jobs: readonly MachineJob[];
  /** The sandbox machine exists already (started before a restart): only finish its start. */
  readonly resume: boolean;
}

export interface RemoveAction {
  readonly id: string;
  /** The machiner must make it dead first (it was dying). */
  readonly ensureDead: boolean;
}

export interface ProvisionerPlan {
  readonly provision: readonly ProvisionAction[];
  readonly remove: readonly RemoveAction[];
}

/** Containers (`0/lxc/1`) are not instances the sandbox provisions. */
function isTopLevel(id: string): boolean {
  return /^\d+$/.test(id);
}

export function sandboxJobs(jobs: readonly string[]): MachineJob[] {
  return jobs.filter((j): j is MachineJob => j === 'JobHostUnits' || j === 'JobManageEnviron');
}

export function planProvisioning(view: ProvisionerView): ProvisionerPlan {
  const provision: ProvisionAction[] = [];
  const remove: RemoveAction[] = [];
  for (const m of view.machines) {
    if (!isTopLevel(m.id) || view.busy.has(m.id)) continue;
    if (m.life === 'alive') {
      const jobs = sandboxJobs(m.jobs);
      if (view.provisioned.has(m.id) || jobs.length === 0) continue;
      if (!view.sandboxMachines.has(m.id)) provision.push({ id: m.id, jobs, resume: false });
      else if (view.pending.has(m.id)) provision.push({ id: m.id, jobs, resume: true });
      continue;
    }
    // Dying: the machiner on the machine makes it dead once no unit is left on it, so only while its
    // agent runs (a machine that is down stays dying, as in Juju; --force makes it dead); with no
    // instance at all there is nothing to wait for. Dead: always removed.
    if (m.life === 'dying') {
      if (m.principals.length > 0 || view.withUnits.has(m.id)) continue;
      if (view.sandboxMachines.has(m.id) && !view.agentRunning.has(m.id)) continue;
    }
    remove.push({ id: m.id, ensureDead: m.life === 'dying' });
  }
  const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);
  return { provision: provision.sort(byId), remove: remove.sort(byId) };
}
