import { useId, useState } from 'react';
import type { HaPreview, RerunHazardView } from '../../../../shared/ipc/channels/ha';
import { ModalDialog } from '../../components/modal-dialog';
import { ReportLines } from './plan-preview';

/**
 * Apply, always confirmed. While a state server is pending or
 * `adding-vote`, Quorum refuses a re-run (LP 1384549) and says why; the
 * operator may still run it, after a second, explicit confirmation.
 */
export function ApplyControls({
  preview,
  hazards,
  command,
  disabledReason,
  onApply,
}: {
  preview: HaPreview | null;
  hazards: readonly RerunHazardView[];
  command: string;
  /** Why Apply cannot be pressed right now, or null. */
  disabledReason: string | null;
  onApply: (override: boolean) => void;
}) {
  const [confirming, setConfirming] = useState<'apply' | 'override' | null>(null);
  const guarded = hazards.length > 0;
  const disabled = disabledReason !== null || preview === null;
  const hintId = useId();

  return (
    <div className="ha-apply">
      {guarded ? <RerunRefusal hazards={hazards} /> : null}
      <div className="form-actions">
        {guarded ? (
          <button type="button" className="button button-danger" disabled={disabled} aria-describedby={hintId} onClick={() => setConfirming('override')}>
            Run anyway…
          </button>
        ) : (
          <button type="button" className="button button-primary" disabled={disabled} aria-describedby={hintId} onClick={() => setConfirming('apply')}>
            Apply…
          </button>
        )}
        <p id={hintId} className="muted">
          {disabledReason ?? <code>{command}</code>}
        </p>
      </div>
      {confirming === 'apply' && preview !== null ? (
        <ModalDialog title="Apply this plan?" onClose={() => setConfirming(null)}>
          <p>
            Quorum will call Juju&apos;s <code>HighAvailability.EnsureAvailability</code>, as <code>{command}</code> does. Juju reports:
          </p>
          <ReportLines lines={preview.lines} label="Juju's plan" empty="Nothing to do." />
          <p>New machines start as state servers without a vote; the peergrouper gives them votes once their juju-db has caught up.</p>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirming(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setConfirming(null);
                onApply(false);
              }}
            >
              Apply
            </button>
          </div>
        </ModalDialog>
      ) : null}
      {confirming === 'override' && preview !== null ? (
        <OverrideDialog
          hazards={hazards}
          preview={preview}
          command={command}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            onApply(true);
          }}
        />
      ) : null}
    </div>
  );
}

function RerunRefusal({ hazards }: { hazards: readonly RerunHazardView[] }) {
  return (
    <div className="notice notice-warning" role="alert" aria-label="Re-run refused">
      <p className="notice-title">Quorum will not run ensure-availability again yet</p>
      <ul>
        {hazards.map((h) => (
          <li key={h.id}>{h.reason}</li>
        ))}
      </ul>
      <p>
        A second run while a new state server has no vote yet would demote it and add another machine (LP 1384549). Wait until every state server shows{' '}
        <code>has-vote</code>.
      </p>
    </div>
  );
}

function OverrideDialog({
  hazards,
  preview,
  command,
  onCancel,
  onConfirm,
}: {
  hazards: readonly RerunHazardView[];
  preview: HaPreview;
  command: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const [understood, setUnderstood] = useState(false);
  const checkId = useId();
  const ids = hazards.map((h) => h.id).join(', ');
  return (
    <ModalDialog title="Run ensure-availability anyway?" onClose={onCancel}>
      <p>
        Machine{hazards.length === 1 ? '' : 's'} {ids} {hazards.length === 1 ? 'has' : 'have'} no vote yet. Running <code>{command}</code> now may demote{' '}
        {hazards.length === 1 ? 'it' : 'them'} and add yet another machine (LP 1384549).
      </p>
      <ReportLines lines={preview.lines} label="Juju's plan" empty="Nothing to do." />
      <div className="field-check">
        <input id={checkId} type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
        <label htmlFor={checkId}>I understand machine{hazards.length === 1 ? '' : 's'} {ids} may be demoted and another machine added</label>
      </div>
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button-danger" disabled={!understood} onClick={onConfirm}>
          Run anyway
        </button>
      </div>
    </ModalDialog>
  );
}
