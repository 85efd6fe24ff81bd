import { useEffect } from 'react';
import type { SerializedError } from '../../../../shared/errors';
import type { ScheduleRun } from '../../../../shared/ipc/channels/schedule';
import { RetryButton } from '../../components/retry-button';
import { useAppStore } from '../../store/store-context';

export const formatTime = (iso: string) => new Date(iso).toLocaleString();

export function RunLine({ run }: { run: ScheduleRun }) {
  return (
    <>
      {run.ok ? 'succeeded' : 'failed'} at <time dateTime={run.finished}>{formatTime(run.finished)}</time>
      {run.catchUp ? ' (catch-up of a run missed while Quorum was closed)' : ''}: {run.message}
    </>
  );
}

const CANCELLED: SerializedError = { code: 'cancelled', message: 'The retried backup was cancelled; no archive was kept.' };

/**
 * A failed scheduled run, until acknowledged. When no backup was made, Retry
 * backup makes the one the schedule would have (its notes, a local copy),
 * with its progress here; once that succeeds the failure is acknowledged.
 * When the backup was made but retention did not run, the next run applies
 * retention again, and the alert says so.
 */
export function ScheduleFailure({ environmentId, failure }: { environmentId: string; failure: ScheduleRun }) {
  const acknowledge = useAppStore((s) => s.acknowledgeScheduleFailure);
  const retryBackup = useAppStore((s) => s.retryScheduledBackup);
  const retry = useAppStore((s) => (s.schedule.retryBackup?.environmentId === environmentId ? s.schedule.retryBackup : null));
  const operation = useAppStore((s) => (retry?.operationId == null ? undefined : s.operations.byId[retry.operationId]));
  const retrying = retry !== null && retry.error === null && (operation === undefined || operation.state === 'running');
  const retryError = retry?.error ?? (operation?.state === 'failed' ? (operation.error ?? null) : operation?.state === 'cancelled' ? CANCELLED : null);
  const succeeded = operation?.state === 'succeeded';

  useEffect(() => {
    if (succeeded) void acknowledge(environmentId);
  }, [succeeded, acknowledge, environmentId]);

  const backupMissing = failure.backupId === null;
  return (
    <div className="notice notice-error schedule-failure" role="alert" aria-label="Scheduled backup failed">
      <p className="notice-title">A scheduled backup failed</p>
      <p>
        <RunLine run={failure} />
      </p>
      {backupMissing ? null : <p>The backup itself was kept. Retention runs again with the next scheduled backup.</p>}
      {retrying ? <p role="status">{operation?.progress.message ?? 'Starting the backup…'}</p> : null}
      {retryError !== null ? <p>Retry backup failed too: {retryError.message}</p> : null}
      <div className="form-actions">
        {backupMissing ? <RetryButton label="Retry backup" retrying={retrying} onRetry={() => void retryBackup(environmentId)} /> : null}
        <button type="button" className="button" disabled={retrying} onClick={() => void acknowledge(environmentId)}>
          Acknowledge
        </button>
      </div>
    </div>
  );
}
