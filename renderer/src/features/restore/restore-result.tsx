import { useEffect, useState } from 'react';
import type { RestoreResult } from '../../../../shared/ipc/channels/restore';
import { ErrorMessage } from '../../components/error-message';
import { ModalDialog } from '../../components/modal-dialog';
import { useAppStore } from '../../store/store-context';
import { specKey } from '../ha/plan-model';
import { formatDuration } from './format';
import { MachineUpdates } from './machine-updates';
import { RestoredMachines } from './restored-machines';

/** The HA count the result page offers: Juju's usual ensure-availability -n 3. */
const HA_COUNT = 3;

/**
 * After a restore: the environment now has a single state server (Juju
 * leaves one), what every machine's update came to (Retry for a failed
 * row), and the two things to do next: Enable HA (3) and a new backup.
 */
export function RestoreResultView({ result, operationId }: { result: RestoreResult; operationId: string }) {
  const createBackup = useAppStore((s) => s.createBackup);
  const navigate = useAppStore((s) => s.navigate);
  const [enabling, setEnabling] = useState(false);
  const single = result.stateServers.length === 1 ? result.stateServers[0] : undefined;

  return (
    <section className="restore-result" aria-labelledby="restore-result-title">
      <h2 id="restore-result-title">Restored</h2>
      <div className="notice notice-success" role="status" aria-label="Restore result">
        <p className="notice-title">
          {single !== undefined
            ? `The environment now has a single state server: machine ${single.machineId}${single.address !== null ? ` (${single.address})` : ''}.`
            : `The environment now has ${result.stateServers.length} state servers.`}
        </p>
        <p>{result.sentence}</p>
        <p className="muted">
          juju.restoreInfo: {result.restoreStatus} · took {formatDuration(result.durationMs)}
        </p>
      </div>
      <p>Juju leaves one state server after a restore. Rebuild high availability from it with ensure-availability, and take a new backup of the restored environment.</p>
      <div className="form-actions">
        <button type="button" className="button button-primary" onClick={() => setEnabling(true)}>
          Enable HA ({HA_COUNT})
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            void createBackup({ environmentId: result.environmentId, notes: 'after restore' });
            navigate('backups');
          }}
        >
          Create a new backup
        </button>
      </div>
      <MachineUpdates operationId={operationId} rows={result.updates} />
      <RestoredMachines machines={result.machines} label="Machines after the restore" />
      {enabling ? <EnableHaDialog environmentId={result.environmentId} onClose={() => setEnabling(false)} /> : null}
    </section>
  );
}

/** Juju's plan for ensure-availability -n 3, then Apply (the HA page follows the change). */
function EnableHaDialog({ environmentId, onClose }: { environmentId: string; onClose: () => void }) {
  const previewHa = useAppStore((s) => s.previewHa);
  const applyHa = useAppStore((s) => s.applyHa);
  const navigate = useAppStore((s) => s.navigate);
  const spec = { environmentId, n: HA_COUNT };
  const key = specKey(spec);
  const preview = useAppStore((s) => (s.ha.previewKey === key && !s.ha.previewing ? s.ha.preview : null));
  const previewError = useAppStore((s) => (s.ha.previewKey === key && !s.ha.previewing ? s.ha.previewError : null));

  useEffect(() => {
    void previewHa({ environmentId, n: HA_COUNT });
  }, [environmentId, previewHa]);

  const refused = preview?.error ?? null;
  return (
    <ModalDialog title={`Enable HA (${HA_COUNT})?`} onClose={onClose}>
      <p>
        <code>juju ensure-availability -n {HA_COUNT}</code> adds state servers from the restored one.
      </p>
      {preview === null && previewError === null ? (
        <p role="status">Reading Juju&apos;s plan…</p>
      ) : null}
      {previewError !== null ? <ErrorMessage error={previewError} title="Juju's plan could not be read" onRetry={() => void previewHa({ environmentId, n: HA_COUNT })} /> : null}
      {preview !== null && refused === null ? (
        <ul aria-label="Juju's plan for HA">
          {preview.lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      ) : null}
      {refused !== null ? <p role="alert">{refused}</p> : null}
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose}>
          Not now
        </button>
        <button
          type="button"
          className="button button-primary"
          disabled={preview === null || refused !== null || preview.noOp}
          onClick={() => {
            if (preview === null) return;
            void applyHa(spec, { overrideRerunGuard: false, previewLines: preview.lines });
            onClose();
            navigate('ha');
          }}
        >
          Apply
        </button>
      </div>
    </ModalDialog>
  );
}
