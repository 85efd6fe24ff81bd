import type { RestoreResult, RestoreRun } from '../../../../shared/ipc/channels/restore';
import type { SecretRegistry } from '../../../../shared/redact';
import type { BackupsHarness } from '../../backups/testing/backups-harness';
import { ConnectionManager } from '../../connection/connection-manager';
import type { StateServerSession } from '../../connection/state-server-session';
import { targetForSandbox } from '../../environments/targets';
import { createMemoryLogger } from '../../log';
import type { RestoreService } from '../restore-service';

/** Helpers the restore integration tests share. */

export interface FinishedRestore {
  readonly result: RestoreResult | null;
  readonly run: RestoreRun;
  readonly state: string;
  readonly code?: string;
  readonly error?: string;
}

/** Waits for a restore operation to end; its run as the service reports it, and the operation's outcome. */
export async function finishedRestore(h: BackupsHarness, restore: RestoreService, opId: string): Promise<FinishedRestore> {
  const done = await h.operations.whenFinished(opId);
  const r = restore.result(opId);
  return { ...r, state: done.state, ...(done.error ? { error: done.error.message, code: done.error.code } : {}) };
}

/** A fresh connection to one sandbox machine (the app's own may still point at the machine a restore replaced). */
export async function machineSession(h: BackupsHarness, secrets: SecretRegistry, id: string): Promise<{ session: StateServerSession; close: () => Promise<void> }> {
  const d = h.sandbox.describe();
  const m = new ConnectionManager({ quorumHome: h.home, secrets, logger: createMemoryLogger(secrets) });
  const address = d.machines.find((x) => x.id === id)!.address;
  return { session: await m.open(targetForSandbox(d)).stateServer(address), close: () => m.close() };
}
