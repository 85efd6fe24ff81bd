import { useState } from 'react';
import type { RestoreRun, RestoreStepView } from '../../../../shared/ipc/channels/restore';
import { useAppStore } from '../../store/store-context';
import { formatBytes, formatDuration } from './format';

const STEP_STATE_TEXT = {
  pending: 'pending',
  running: 'running',
  succeeded: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
} as const;

/**
 * The run's steps under the seed's log lines, in order: state, duration,
 * bytes where data moves, and the log of what ran (expandable). The point
 * of no return is named and marked; Cancel is offered until it is passed.
 */
export function RestoreSteps({ run, label }: { run: RestoreRun; label: string }) {
  const cancel = useAppStore((s) => s.cancelOperation);
  const [cancelling, setCancelling] = useState(false);
  const pnr = run.pointOfNoReturn;
  const running = run.state === 'running';

  return (
    <div className="restore-run">
      <p className="restore-status" role="status" aria-label={`${label} status`}>
        {running ? `${label} running` : `${label} ${run.state}`}
        {run.restoreStatus !== null ? ` · juju.restoreInfo: ${run.restoreStatus}` : ''}
        {run.targetAddress !== null ? ` · replacement machine ${run.machineId} at ${run.targetAddress}` : ''}
      </p>
      <ol className="restore-steps" aria-label={`${label} steps`}>
        {run.steps.map((step) => (
          <Step key={step.id} step={step} pointOfNoReturn={step.id === pnr.stepId} />
        ))}
      </ol>
      <div className={pnr.passed ? 'notice' : 'notice notice-warning'} role="note" aria-label="Point of no return">
        <p className="notice-title">{pnr.passed ? 'Past the point of no return: the restore can no longer be cancelled.' : 'Point of no return'}</p>
        <p>{pnr.description}</p>
      </div>
      {running && run.cancellable ? (
        <button
          type="button"
          className="button"
          disabled={cancelling}
          onClick={() => {
            setCancelling(true);
            void cancel(run.operationId).finally(() => setCancelling(false));
          }}
        >
          {cancelling ? 'Cancelling…' : `Cancel ${label.toLowerCase()}`}
        </button>
      ) : null}
    </div>
  );
}

function Step({ step, pointOfNoReturn }: { step: RestoreStepView; pointOfNoReturn: boolean }) {
  const moving = step.totalBytes !== null && step.totalBytes > 0;
  return (
    <li className={`restore-step step-${step.state}`} aria-label={step.title}>
      <div className="restore-step-head">
        <span className={`badge step-badge-${step.state}`}>{STEP_STATE_TEXT[step.state]}</span>
        <span className="restore-step-title">{step.title}</span>
        {pointOfNoReturn ? <span className="badge step-badge-pnr">point of no return</span> : null}
        <span className="muted restore-step-meta">
          {step.durationMs !== null ? formatDuration(step.durationMs) : step.state === 'running' ? '…' : ''}
          {step.bytes !== null ? ` · ${formatBytes(step.bytes)}${moving ? ` of ${formatBytes(step.totalBytes!)}` : ''}` : ''}
        </span>
      </div>
      {moving && step.state === 'running' ? <progress aria-label={`Bytes of ${step.title}`} max={step.totalBytes!} value={step.bytes ?? 0} /> : null}
      {step.error !== null ? (
        <p className="step-error" role="alert">
          {step.error}
        </p>
      ) : null}
      {step.log.length > 0 ? (
        <details className="restore-step-log">
          <summary>Log of {step.title} ({step.log.length} {step.log.length === 1 ? 'line' : 'lines'})</summary>
          <ol aria-label={`Log of ${step.title}`}>
            {step.log.map((line, i) => (
              <li key={i} className={`log-${line.level}`}>
                <time dateTime={line.at}>{line.at.slice(11, 19)}</time> {line.text}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </li>
  );
}
