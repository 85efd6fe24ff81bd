import type { RestoreResult, RestoreRun } from '../../../../shared/ipc/channels/restore';
import type { SecretRegistry } from '../../../../shared/redact';
import type { BackupsHarness } from '../../backups/testing/backups-harness';
import { ConnectionManager } from '../../connection/connection-manager';
import type { StateServerSession } from '../../connection/state-server-session';
import { targetForSandbox } from '../../environments/targets';
import { createMemoryLogger } from '../../log';
import { createRestoreService, type RestoreService, type RestoreServiceOptions } from '../restore-service';

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

/**
 * The restore service over the harness's sandbox, as `register-restore.ts`
 * wires it for the sandbox environment; `overrides` replace any option
 * (progress, the throwaway sandbox of a rehearsal, the place itself).
 */
export function sandboxRestoreService(h: BackupsHarness, secrets: SecretRegistry, overrides: Partial<RestoreServiceOptions> = {}): RestoreService {
  return createRestoreService({
    home: h.home,
    operations: h.operations,
    secrets,
    log: createMemoryLogger(secrets),
    place: async () => {
      const d = h.sandbox.describe();
      return { environmentId: 'sandbox', name: d.environment.name, uuid: d.environment.uuid, target: targetForSandbox(d), sandbox: h.sandbox };
    },
    emitProgress: () => undefined,
    jujuDbTimeoutMs: 30_000,
    ...overrides,
  });
}
