import { useEffect } from 'react';
import { selectSelectedEnvironment } from '../../store/selectors';
import { useAppStore } from '../../store/store-context';
import { ErrorMessage } from '../../components/error-message';
import { useRetry } from '../../components/retry-button';
import { ArchiveSource } from './archive-source';
import { InspectionView } from './inspection-view';
import { MachineUpdates } from './machine-updates';
import { PrecheckPanel } from './precheck-panel';
import { RehearsalPanel } from './rehearsal-panel';
import { RestoreResultView } from './restore-result';
import { RestoreSteps } from './restore-steps';
import './restore.css';

/**
 * The Restore section: the archive (dropped, picked or from the Backups
 * list), its offline inspection and verdict, the pre-check checklist and
 * target, then the restore with every step shown, "updating all machines"
 * row by row, and the result; a rehearsal in a throwaway sandbox beside it.
 */
export function RestorePage() {
  const environment = useAppStore(selectSelectedEnvironment);
  const archive = useAppStore((s) => s.restore.archive);
  const allowed = useAppStore((s) => s.restore.inspection?.verdict.allowed === true);
  const view = useAppStore((s) => s.restore.restore);
  const dismiss = useAppStore((s) => s.dismissRestoreRun);
  const adopt = useAppStore((s) => s.adoptRestoreRuns);
  const retryRestore = useRetry(useAppStore((s) => s.retryRestoreStart));
  const canRetry = useAppStore((s) => s.restore.lastStart !== null);
  // Running restore operations, as one string so the effect runs only when the set changes.
  const runningRestores = useAppStore((s) =>
    Object.values(s.operations.byId)
      .filter((op) => op.kind === 'restore' && op.state === 'running')
      .map((op) => op.id)
      .sort()
      .join(' '),
  );
  useEffect(() => {
    if (runningRestores !== '') void adopt();
  }, [runningRestores, adopt]);
  const started = view.operationId !== null;
  const finished = view.run !== null && view.run.state !== 'running';

  if (environment === null) {
    return (
      <div className="empty-state">
        <p>Select the environment to restore.</p>
      </div>
    );
  }
  return (
    <div className="restore-page">
      <p className="restore-target-env">
        Restoring into <strong>{environment.name}</strong>
        {environment.kind === 'sandbox' ? ' (the built-in sandbox)' : ''}.
      </p>
      <ArchiveSource />
      <InspectionView />
      {archive !== null && allowed && !started ? <PrecheckPanel key={`${environment.id}|${archive.label}`} environmentId={environment.id} isSandbox={environment.kind === 'sandbox'} /> : null}
      {started ? (
        <section className="restore-progress" aria-labelledby="restore-run-title">
          <h2 id="restore-run-title">Restore</h2>
          {view.run === null && view.error === null ? (
            <p className="status-line" role="status">
              Starting the restore…
            </p>
          ) : null}
          {view.run !== null ? <RestoreSteps run={view.run} label="Restore" /> : null}
          {view.run !== null && view.result === null ? <MachineUpdates operationId={view.run.operationId} rows={view.run.machines} /> : null}
          {view.error !== null ? (
            <ErrorMessage
              error={view.error}
              title={view.error.code === 'cancelled' ? 'The restore was cancelled' : 'The restore failed'}
              // A failed run can be started again as it was: main runs the pre-checks again first. A cancelled one was the operator's choice.
              {...(view.error.code === 'cancelled' || view.run?.state === 'running' || !canRetry ? {} : retryRestore)}
              retryLabel="Retry restore"
            />
          ) : null}
          {finished && view.result === null ? (
            <button type="button" className="button" onClick={dismiss}>
              Back to the pre-checks
            </button>
          ) : null}
        </section>
      ) : null}
      {view.result !== null && view.operationId !== null ? <RestoreResultView result={view.result} operationId={view.operationId} /> : null}
      {archive !== null && allowed ? <RehearsalPanel /> : null}
    </div>
  );
}
