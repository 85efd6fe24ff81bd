import { useCallback, useEffect, useId, useState } from 'react';
import { haApplyResultSchema, type RecoveryPlan } from '../../../../shared/ipc/channels/ha';
import { ModalDialog } from '../../components/modal-dialog';
import { useRetry } from '../../components/retry-button';
import { useAppStore } from '../../store/store-context';
import type { RecoveryStepRun } from './ha-slice';
import { HaError } from './ha-error';
import { ReportLines } from './plan-preview';

const STEPS = [
  { n: 1, title: 'Ensure availability', what: 'Demotes the failed state servers and adds replacements.' },
  { n: 2, title: 'Ensure availability again', what: 'Once the new state servers have a vote: Juju no longer considers the failed machines state servers.' },
  { n: 3, title: 'Remove the failed machines', what: 'juju remove-machine of the old machines, entirely.' },
] as const;

/**
 * Juju's recovery from failed state servers while a majority remains, as
 * three guided steps. Main says which step applies now (from the live
 * facts); each step shows its plan, its result, and what to wait for.
 */
export function RecoveryFlow({ environmentId }: { environmentId: string }) {
  const plan = useAppStore((s) => s.ha.recovery.plan);
  const error = useAppStore((s) => s.ha.recovery.error);
  const runs = useAppStore((s) => s.ha.recovery.runs);
  const status = useAppStore((s) => s.ha.status);
  const load = useAppStore((s) => s.loadRecoveryPlan);
  const close = useAppStore((s) => s.closeHaRecovery);
  const reload = useRetry(useCallback(() => load(environmentId), [load, environmentId]));

  // The plan follows the facts: read again whenever main pushes a new status.
  useEffect(() => {
    void load(environmentId);
  }, [environmentId, status, load]);

  const current = plan?.step ?? null;
  const finished = plan !== null && current === null && runs.some((r) => r.step === 3);

  return (
    <section className="ha-recovery" aria-labelledby="ha-recovery-title">
      <header className="ha-section-head">
        <h2 id="ha-recovery-title">Recover from failed state servers</h2>
        <button type="button" className="button button-quiet" onClick={close}>
          Close recovery
        </button>
      </header>
      {plan !== null ? (
        <p role="status">
          {plan.failedMachineIds.length > 0 ? `Failed: machine${plan.failedMachineIds.length === 1 ? '' : 's'} ${plan.failedMachineIds.join(', ')}. ` : ''}
          {plan.sentence}
        </p>
      ) : (
        <p className="status-line" role="status">
          Reading the recovery plan…
        </p>
      )}
      {/* Until the plan is read, Retry reads it again; a step that fails keeps its own button below. */}
      {error !== null ? <HaError error={error} {...(plan === null ? reload : {})} /> : null}
      {finished ? <p className="ha-match">Recovery complete: the failed machines are gone and every state server votes.</p> : null}
      <ol className="ha-steps">
        {STEPS.map((step) => (
          <RecoveryStep key={step.n} step={step} plan={plan} current={current} run={runs.find((r) => r.step === step.n) ?? null} />
        ))}
      </ol>
    </section>
  );
}

function RecoveryStep({ step, plan, current, run }: { step: (typeof STEPS)[number]; plan: RecoveryPlan | null; current: number | null; run: RecoveryStepRun | null }) {
  const state = current === step.n ? 'current' : run !== null || (current !== null && current > step.n) ? 'done' : 'upcoming';
  const label = state === 'current' ? 'now' : state === 'done' ? 'done' : 'later';
  return (
    <li className={`ha-step is-${state}`} aria-label={`Step ${step.n}: ${step.title}`} aria-current={state === 'current' ? 'step' : undefined}>
      <h3>
        Step {step.n}: {step.title} <span className="badge">{label}</span>
      </h3>
      <p className="muted">{step.what}</p>
      {run !== null ? <StepResult run={run} /> : null}
      {state === 'current' && plan !== null ? <StepAction step={step.n} plan={plan} /> : null}
    </li>
  );
}

function StepResult({ run }: { run: RecoveryStepRun }) {
  const operation = useAppStore((s) => (run.step === 3 ? undefined : s.operations.byId[run.operationId]));
  if (run.step === 3) return <p role="status">Removed machine{run.removed.length === 1 ? '' : 's'} {run.removed.join(', ')}.</p>;
  const parsed = operation?.state === 'succeeded' ? haApplyResultSchema.safeParse(operation.result) : null;
  return (
    <div className="ha-step-result">
      {operation?.state === 'running' ? <p className="status-line">{operation.progress.message}</p> : null}
      {parsed?.success ? (
        <>
          <ReportLines lines={parsed.data.lines} label={`Result of step ${run.step}`} empty="Juju made no change." />
          <p className={parsed.data.matchedPreview ? 'ha-match' : 'muted'}>{parsed.data.matchedPreview ? 'Matches the preview.' : `Differs from the preview: ${parsed.data.differences.join('; ')}`}</p>
        </>
      ) : null}
      {operation?.state === 'failed' && operation.error ? <HaError error={operation.error} /> : null}
    </div>
  );
}

function StepAction({ step, plan }: { step: 1 | 2 | 3; plan: RecoveryPlan }) {
  const runEnsure = useAppStore((s) => s.runRecoveryEnsure);
  const runRemove = useAppStore((s) => s.runRecoveryRemove);
  const running = useAppStore((s) => {
    const id = s.ha.applyOperationId;
    return id !== null && s.operations.byId[id]?.state === 'running';
  });
  const [confirming, setConfirming] = useState(false);
  // The failed machines' agents are down: without --force Juju leaves them dying.
  const [force, setForce] = useState(true);
  const forceId = useId();
  const blocked = plan.waitFor !== null || running;

  return (
    <div className="ha-step-action">
      {step !== 3 && plan.preview !== null ? (
        plan.preview.error !== null ? (
          <div className="notice notice-error" role="alert">
            <p className="ha-juju-words">{plan.preview.error}</p>
            {plan.preview.advice ? <p>{plan.preview.advice}</p> : null}
          </div>
        ) : (
          <ReportLines lines={plan.preview.lines} label={`Plan of step ${step}`} empty="Juju would make no change." />
        )
      ) : null}
      {step === 3 ? (
        <>
          <p>
            Machines to remove: <strong>{plan.removeMachineIds.join(', ') || 'none'}</strong>
          </p>
          <div className="field-check">
            <input id={forceId} type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
            <label htmlFor={forceId}>--force (the failed machines&apos; agents are down, so Juju cannot remove them cleanly)</label>
          </div>
        </>
      ) : null}
      {plan.waitFor !== null ? (
        <p className="notice" role="status" aria-label="What to wait for">
          {plan.waitFor}
        </p>
      ) : null}
      <button
        type="button"
        className={step === 3 ? 'button button-danger' : 'button button-primary'}
        disabled={blocked || (step === 3 ? plan.removeMachineIds.length === 0 : plan.preview === null || plan.preview.error !== null)}
        onClick={() => setConfirming(true)}
      >
        Run step {step}
      </button>
      {confirming ? (
        <ModalDialog title={`Run step ${step}?`} onClose={() => setConfirming(false)}>
          {step === 3 ? (
            <p>
              <code>
                juju remove-machine{force ? ' --force' : ''} {plan.removeMachineIds.join(' ')}
              </code>{' '}
              removes these machines entirely.
            </p>
          ) : (
            <>
              <p>
                <code>juju ensure-availability -n {plan.preview?.desired ?? 0}</code> reports:
              </p>
              <ReportLines lines={plan.preview?.lines ?? []} label={`Plan of step ${step}`} empty="Nothing to do." />
            </>
          )}
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button
              type="button"
              className={step === 3 ? 'button button-danger' : 'button button-primary'}
              onClick={() => {
                setConfirming(false);
                if (step === 3) void runRemove(plan, force);
                else void runEnsure(plan);
              }}
            >
              {step === 3 ? 'Remove' : 'Apply'}
            </button>
          </div>
        </ModalDialog>
      ) : null}
    </div>
  );
}
