import { useEffect, useId, useMemo, useState } from 'react';
import type { PrecheckItem, RestoreConfirmations, RestoreTarget } from '../../../../shared/ipc/channels/restore';
import { ErrorMessage } from '../../components/error-message';
import { useRetry } from '../../components/retry-button';
import { ModalDialog } from '../../components/modal-dialog';
import { useAppStore } from '../../store/store-context';

/** Wait this long after the last keystroke before checking again. */
const PRECHECK_DELAY_MS = 250;

const STATE_TEXT = { pass: 'pass', fail: 'fail', warn: 'warn', pending: 'pending' } as const;

/**
 * Where to restore (the sandbox's re-bootstrap, or a host the operator
 * bootstrapped), the pre-check checklist with why for each item, the
 * confirmations it asks for (a different environment UUID; the environment
 * name typed while a state server still has a vote), and Start.
 */
export function PrecheckPanel({ environmentId, isSandbox }: { environmentId: string; isSandbox: boolean }) {
  const precheck = useAppStore((s) => s.restore.precheck);
  const precheckError = useAppStore((s) => s.restore.precheckError);
  const prechecking = useAppStore((s) => s.restore.prechecking);
  const runPrecheck = useAppStore((s) => s.runRestorePrecheck);
  const startRestore = useAppStore((s) => s.startRestore);
  const startError = useAppStore((s) => (s.restore.restore.run === null ? s.restore.restore.error : null));
  const retryStart = useRetry(useAppStore((s) => s.retryRestoreStart));
  const ids = { sandbox: useId(), host: useId(), address: useId(), port: useId(), different: useId(), typed: useId() };

  const [kind, setKind] = useState<'sandbox' | 'host'>(isSandbox ? 'sandbox' : 'host');
  const [address, setAddress] = useState('');
  const [port, setPort] = useState('');
  const [differentEnvironment, setDifferent] = useState(false);
  const [typedName, setTypedName] = useState('');
  const [confirming, setConfirming] = useState(false);

  const target = useMemo<RestoreTarget>(() => {
    if (kind === 'sandbox') return { kind: 'sandbox' };
    const sshPort = Number(port);
    return { kind: 'host', address: address.trim(), ...(port.trim() !== '' && Number.isInteger(sshPort) ? { sshPort } : {}) };
  }, [kind, address, port]);
  const confirmations = useMemo<RestoreConfirmations>(
    () => ({ ...(differentEnvironment ? { differentEnvironment: true } : {}), ...(typedName !== '' ? { typedEnvironmentName: typedName } : {}) }),
    [differentEnvironment, typedName],
  );
  const hostMissing = target.kind === 'host' && target.address === '';

  useEffect(() => {
    if (hostMissing) return;
    const timer = setTimeout(() => void runPrecheck(environmentId, target, confirmations), PRECHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [environmentId, target, confirmations, hostMissing, runPrecheck]);

  // The machines change under the checklist (the operator powers the old state server off): check again on demand.
  const checkAgain = () => {
    if (!hostMissing) void runPrecheck(environmentId, target, confirmations);
  };

  const needs = (id: PrecheckItem['id']) => precheck?.items.find((i) => i.id === id);
  const environmentItem = needs('environment');
  const votesItem = needs('votes');
  const askDifferent = environmentItem?.needs === 'different-environment' || differentEnvironment;
  const askTyped = votesItem?.needs === 'typed-environment-name' || typedName !== '';
  const canStart = precheck !== null && precheck.canStart && !prechecking && !hostMissing;

  return (
    <section className="restore-precheck" aria-labelledby="precheck-title">
      <h2 id="precheck-title">Pre-checks</h2>
      <fieldset className="restore-target">
        <legend>Replacement state server</legend>
        <div className="field-check">
          <input id={ids.sandbox} type="radio" name="restore-target" checked={kind === 'sandbox'} disabled={!isSandbox} onChange={() => setKind('sandbox')} />
          <label htmlFor={ids.sandbox}>Re-bootstrap in the sandbox (a fresh machine{precheck !== null ? ` ${precheck.originMachineId}` : ''})</label>
        </div>
        <div className="field-check">
          <input id={ids.host} type="radio" name="restore-target" checked={kind === 'host'} onChange={() => setKind('host')} />
          <label htmlFor={ids.host}>A host I bootstrapped</label>
        </div>
        {!isSandbox ? <p className="field-hint">Only the sandbox can make its own replacement. For this environment, bootstrap a fresh host with the backup&apos;s Juju version and name it here.</p> : null}
        {kind === 'host' ? (
          <div className="field-row">
            <div className="field">
              <label htmlFor={ids.address}>Host address</label>
              <input id={ids.address} value={address} placeholder="10.5.0.64" onChange={(e) => setAddress(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={ids.port}>SSH port</label>
              <input id={ids.port} value={port} inputMode="numeric" placeholder="22" onChange={(e) => setPort(e.target.value.replace(/[^0-9]/g, ''))} />
            </div>
          </div>
        ) : null}
      </fieldset>

      {hostMissing ? <p className="muted">Name the replacement host to run the checks.</p> : null}
      {prechecking ? (
        <p className="status-line" role="status">
          Checking…
        </p>
      ) : null}
      {precheckError !== null ? <ErrorMessage error={precheckError} title="The pre-checks could not run" onRetry={checkAgain} retrying={prechecking} /> : null}
      {precheck !== null && !hostMissing ? (
        <ul className="restore-checklist" aria-label="Pre-check checklist">
          {precheck.items.map((item) => (
            <li key={item.id} className={`check check-${item.state}`} aria-label={item.title}>
              <span className={`badge check-badge-${item.state}`}>{STATE_TEXT[item.state]}</span>
              <div>
                <p className="check-title">{item.title}</p>
                <p className="check-why">{item.why}</p>
                {item.id === 'environment' && askDifferent ? (
                  <div className="field-check">
                    <input id={ids.different} type="checkbox" checked={differentEnvironment} onChange={(e) => setDifferent(e.target.checked)} />
                    <label htmlFor={ids.different}>Restore this archive from another environment into {precheck.environmentName}</label>
                  </div>
                ) : null}
                {item.id === 'votes' && askTyped ? (
                  <div className="field">
                    <label htmlFor={ids.typed}>Type {precheck.environmentName} to take the remaining state servers offline</label>
                    <input id={ids.typed} value={typedName} autoComplete="off" spellCheck={false} onChange={(e) => setTypedName(e.target.value)} />
                  </div>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button button-danger" disabled={!canStart} onClick={() => setConfirming(true)}>
          Start restore…
        </button>
        {precheck !== null && !hostMissing ? (
          <button type="button" className="button" disabled={prechecking} onClick={checkAgain}>
            Check again
          </button>
        ) : null}
        {precheck !== null && !precheck.canStart && !hostMissing ? <p className="muted">Every check must pass (or warn) before the restore can start.</p> : null}
      </div>
      {startError !== null ? <ErrorMessage error={startError} title="The restore could not start" {...retryStart} retryLabel="Retry start" /> : null}
      {confirming && precheck !== null ? (
        <ModalDialog title="Start the restore?" onClose={() => setConfirming(false)}>
          <p>
            Quorum {target.kind === 'sandbox' ? `asks the sandbox for a fresh machine ${precheck.originMachineId}` : `restores onto ${target.kind === 'host' ? target.address : ''}`}, replaces its state with the backup and then points every other machine at it. The environment ends with a single state server.
          </p>
          <p className="muted">Cancelling is offered until the point of no return, which the steps name.</p>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Not now
            </button>
            <button
              type="button"
              className="button button-danger"
              onClick={() => {
                setConfirming(false);
                void startRestore(environmentId, target, confirmations);
              }}
            >
              Start restore
            </button>
          </div>
        </ModalDialog>
      ) : null}
    </section>
  );
}
