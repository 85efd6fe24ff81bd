import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SecretRegistry } from '../../../../shared/redact';
import type { JujuDbProfile } from '../../../sandbox/juju-db/api';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import { ConnectionManager } from '../../connection/connection-manager';
import type { ConnectionTarget } from '../../environments/target';
import { targetForSandbox } from '../../environments/targets';
import { createMemoryLogger } from '../../log';
import { createOperationManager, type OperationManager } from '../../operations/operation-manager';
import { createBackupsService, type BackupsService } from '../backups-service';

/**
 * The real backups stack over a fresh in-process sandbox, as the
 * composition root wires it, for integration tests: one place to build it
 * and one to tear it down. The sandbox's juju-db speaks MongoDB 2.4 (as
 * Juju 1.25 runs it) unless `mongo` asks for 6.0.
 */
export interface BackupsHarness {
  readonly home: string;
  readonly sandbox: Sandbox;
  readonly target: ConnectionTarget;
  readonly manager: ConnectionManager;
  readonly operations: OperationManager;
  readonly service: BackupsService;
  close(): Promise<void>;
}

export async function startBackupsHarness(options: {
  readonly tmpPrefix: string;
  /** juju-db's MongoDB profile; default 2.4. */
  readonly mongo?: JujuDbProfile;
  readonly readiness: { timeoutMs: number; pollMs: number };
  readonly progressIntervalMs: number;
  /** Called with each progress phase an operation reports. */
  readonly onPhase: (phase: string) => void;
}): Promise<BackupsHarness> {
  const secrets = new SecretRegistry();
  const logger = createMemoryLogger(secrets);
  const home = await fs.mkdtemp(path.join(os.tmpdir(), options.tmpPrefix));
  const sandbox = await startSandbox({ home, mongo: options.mongo ?? '2.4' });
  const target = targetForSandbox(sandbox.describe());
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 100, maxMs: 500 } });
  const operations = createOperationManager({
    events: {
      emit: (_e: string, snapshot: unknown) => {
        const phase = (snapshot as { progress?: { phase: string } }).progress?.phase;
        if (phase) options.onPhase(phase);
      },
    },
    secrets,
    log: logger,
    progressIntervalMs: options.progressIntervalMs,
  });
  const service = createBackupsService({
    home,
    operations,
    connection: async () => manager.open(target),
    emitChanged: () => undefined,
    log: logger,
    readiness: options.readiness,
    // Entries past 4 KiB stream with their header patched in place (the sandbox's collections are small;
    // a real environment's big ones stream past the default of one 1 MiB block).
    gzip: { inlineEntryBytes: 4 * 1024 },
  });
  return {
    home,
    sandbox,
    target,
    manager,
    operations,
    service,
    close: async () => {
      await operations.close();
      await manager.close();
      await sandbox.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}
