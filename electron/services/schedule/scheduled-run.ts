import path from 'node:path';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import { SCHEDULED_NOTES, type ScheduleSettings } from '../../../shared/ipc/channels/schedule';
import { QuorumError } from '../../../shared/errors';
import type { BackupsService } from '../backups/backups-service';
import { applyRetention, type RetentionReport } from '../backups/retention-runner';
import type { EnvironmentService } from '../environments/environment-service';
import type { Logger } from '../log';
import type { OperationManager } from '../operations/operation-manager';
import type { ConnectionLeases } from './connection-leases';
import type { RunOutcome, ScheduledRunner } from './scheduler';

/**
 * One scheduled run: a backup created through the backups service (an
 * operation, so the operations tray shows its progress; kept locally, in
 * the default library folder), then the schedule's retention. It runs on a
 * leased connection of its own, so it works whichever environment is
 * selected and does not disturb the selected one.
 */

export interface ScheduledRunDeps {
  readonly backups: BackupsService;
  readonly operations: Pick<OperationManager, 'whenFinished'>;
  readonly environments: Pick<EnvironmentService, 'resolveTarget'>;
  readonly leases: ConnectionLeases;
  readonly log: Logger;
  /** Tells the renderer the list changed (retention's local deletions emit nothing themselves). */
  readonly emitBackupsChanged: (environmentId: string) => void;
  /** Retention's "now" (the scheduler's clock). */
  readonly now: () => Date;
}


function retentionSummary(report: RetentionReport): string {
  const parts = [`retention removed ${report.removed.length}`];
  if (report.failed.length > 0) parts.push(`could not remove ${report.failed.length}: ${report.failed[0]!.reason}`);
  return parts.join('; ');
}

export function scheduledBackupRunner(deps: ScheduledRunDeps): ScheduledRunner {
  return async (environmentId: string, settings: ScheduleSettings): Promise<RunOutcome> => {
    const target = await deps.environments.resolveTarget(environmentId);
    return deps.leases.withLease(target, async () => {
      const { operationId } = await deps.backups.create(environmentId, { notes: SCHEDULED_NOTES, keepLocal: true });
      const done = await deps.operations.whenFinished(operationId);
      if (done.state !== 'succeeded') {
        const why = done.error?.message ?? `The backup was ${done.state}.`;
        return { ok: false, backupId: null, localPath: null, message: `The backup was not created: ${why}` };
      }
      const created = done.result as CreateBackupResult;
      const name = created.localPath ? path.basename(created.localPath) : created.metadata.id;
      if (settings.keep === null && settings.maxAgeDays === null) {
        return { ok: true, backupId: created.metadata.id, localPath: created.localPath, message: `Backup ${created.metadata.id} created (${name}).` };
      }
      let report: RetentionReport;
      try {
        report = await applyRetention({
          backups: deps.backups,
          environmentId,
          policy: { keep: settings.keep, maxAgeDays: settings.maxAgeDays },
          includeServer: settings.includeServer,
          now: deps.now(),
          log: deps.log,
        });
      } catch (error) {
        const why = error instanceof QuorumError ? error.message : 'an unexpected error (the details are in the log)';
        if (!(error instanceof QuorumError)) deps.log.error('retention failed', { environmentId, error: String(error) });
        return { ok: false, backupId: created.metadata.id, localPath: created.localPath, message: `Backup ${created.metadata.id} was created, but retention did not run: ${why}` };
      } finally {
        deps.emitBackupsChanged(environmentId);
      }
      const ok = report.failed.length === 0;
      const message = ok
        ? `Backup ${created.metadata.id} created (${name}); ${retentionSummary(report)}.`
        : `Backup ${created.metadata.id} was created, but retention ${retentionSummary(report).replace(/^retention /, '')}.`;
      return { ok, backupId: created.metadata.id, localPath: created.localPath, message };
    });
  };
}
