import type { BackupPlan } from '../../../../shared/ipc/channels/backups';
import type { PlanState } from './backups-slice';

/**
 * Why Create backup is disabled, in words shown beside it (and tied to it by
 * `aria-describedby`), or null when it is enabled. A disabled button always
 * says why.
 */
export function createDisabledReason(plan: PlanState | null, running: boolean): string | null {
  if (running) return 'A backup of this environment is running: wait for it to finish, or cancel it.';
  if (plan === null || plan.status === 'loading') return 'Waiting for the state servers: Quorum is connecting and reading the replica set.';
  if (plan.status === 'error') return 'Quorum cannot read the replica set (the reason is above). Fix that, then press Retry.';
  if (!hasHealthyStateServer(plan.plan)) return 'No state server is healthy enough to back up from. Check the Topology page.';
  return null;
}

export function hasHealthyStateServer(plan: BackupPlan): boolean {
  return plan.machines.some((m) => m.healthy);
}

/** What the state-server field says while there is no plan to choose from. */
export function stateServerPlaceholder(plan: PlanState | null): string | null {
  if (plan === null || plan.status === 'loading') return 'Reading the replica set…';
  if (plan.status === 'error') return 'Unavailable: the replica set cannot be read';
  return null;
}
