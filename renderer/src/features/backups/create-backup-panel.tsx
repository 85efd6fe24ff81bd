import { useCallback, useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../components/error-message';
import { useRetry } from '../../components/retry-button';
import type { CreateBackupResult } from '../../../../shared/ipc/channels/backups';
import { useAppStore } from '../../store/store-context';
import { BackupProgress } from './backup-progress';
import { createDisabledReason, stateServerPlaceholder } from './create-backup-state';
import { MetadataBlock } from './metadata-block';
import { selectBackupRunning, selectCreateOperation, selectListIsSelected, selectPlanState } from './selectors';

/**
 * The create form (state server, notes, local copy with folder and file
 * name), then the running backup's progress, then Juju's metadata block.
 */
export function CreateBackupPanel({ environmentId }: { environmentId: string }) {
  const planState = useAppStore(selectPlanState);
  const plan = planState?.status === 'ready' ? planState.plan : null;
  const createError = useAppStore((s) => s.backups.createError);
  const operation = useAppStore(selectCreateOperation);
  const backupRunning = useAppStore(selectBackupRunning);
  // The default folder is known without a plan: the list names it too.
  const listFolder = useAppStore((s) => (selectListIsSelected(s) ? s.backups.folder : null));
  const createBackup = useAppStore((s) => s.createBackup);
  const cancel = useAppStore((s) => s.cancelOperation);
  const loadPlan = useAppStore((s) => s.loadBackupPlan);
  // Retry backup asks for the backup that could not start or failed, as it was asked for (this environment's only).
  const lastRequest = useAppStore((s) => (s.backups.createRequest?.environmentId === environmentId ? s.backups.createRequest : null));
  const retryCreate = useRetry(useCallback(() => (lastRequest === null ? Promise.resolve() : createBackup(lastRequest)), [createBackup, lastRequest]));
  const retry = lastRequest === null ? {} : retryCreate;
  // The operator's pick; until then the plan's initial state server.
  const [chosenMachine, setMachineId] = useState<string | null>(null);
  const machineId = chosenMachine ?? plan?.suggestedMachineId ?? '';
  const [notes, setNotes] = useState('');
  const [keepLocal, setKeepLocal] = useState(true);
  const [folder, setFolder] = useState('');
  const [filename, setFilename] = useState('');
  const ids = { machine: useId(), notes: useId(), keep: useId(), folder: useId(), file: useId(), warn: useId(), why: useId() };

  const running = operation?.state === 'running';
  const disabledReason = createDisabledReason(planState, running || backupRunning);
  const placeholder = stateServerPlaceholder(planState);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void createBackup({
      environmentId,
      notes,
      keepLocal,
      ...(machineId !== '' && machineId !== plan?.suggestedMachineId ? { machineId } : {}),
      ...(keepLocal && folder.trim() !== '' ? { folder: folder.trim() } : {}),
      ...(keepLocal && filename.trim() !== '' ? { filename: filename.trim() } : {}),
    });
  };
  const result = operation?.state === 'succeeded' ? (operation.result as CreateBackupResult | undefined) : undefined;

  return (
    <section className="backup-create" aria-labelledby="backup-create-heading">
      <h2 id="backup-create-heading">Create backup</h2>
      {planState?.status === 'error' ? <ErrorMessage error={planState.error} title="Cannot plan a backup" onRetry={() => void loadPlan(environmentId)} /> : null}
      <form className="form" onSubmit={submit} aria-label="Create backup">
        <div className="field">
          <label htmlFor={ids.machine}>State server</label>
          <select id={ids.machine} value={machineId} onChange={(e) => setMachineId(e.target.value)} disabled={running || plan === null}>
            {placeholder !== null ? <option value="">{placeholder}</option> : null}
            {plan?.machines.map((m) => (
              <option key={m.machineId} value={m.machineId} disabled={!m.healthy}>
                {`Machine ${m.machineId} (${m.address})${m.primary ? ', primary' : ''}${m.voting ? '' : ', no vote'}${m.healthy ? '' : ', unhealthy'}${m.machineId === plan.suggestedMachineId ? ' — initial state server' : ''}`}
              </option>
            ))}
          </select>
          <p className="field-hint">Juju backs up from the initial state server: machine 0 when it is up, else the lowest-numbered healthy voting one.</p>
        </div>
        <div className="field">
          <label htmlFor={ids.notes}>Notes</label>
          <textarea id={ids.notes} value={notes} maxLength={4096} rows={2} onChange={(e) => setNotes(e.target.value)} disabled={running} />
        </div>
        <div className="field-check">
          <input id={ids.keep} type="checkbox" checked={keepLocal} onChange={(e) => setKeepLocal(e.target.checked)} disabled={running} aria-describedby={keepLocal ? undefined : ids.warn} />
          <label htmlFor={ids.keep}>Keep a local copy</label>
        </div>
        {keepLocal ? (
          <>
            <div className="field">
              <label htmlFor={ids.folder}>Folder</label>
              <input id={ids.folder} value={folder} placeholder={plan?.defaultFolder ?? listFolder ?? ''} onChange={(e) => setFolder(e.target.value)} disabled={running} />
            </div>
            <div className="field">
              <label htmlFor={ids.file}>File name</label>
              <input id={ids.file} value={filename} placeholder={plan?.defaultFilename ?? 'juju-backup-YYYYMMDD-hhmmss.tar.gz'} onChange={(e) => setFilename(e.target.value)} disabled={running} />
              <p className="field-hint">Leave empty for Juju's name, from the start time in UTC.</p>
            </div>
          </>
        ) : (
          <p id={ids.warn} className="notice" role="note">
            WARNING: {plan?.noDownloadWarning ?? 'downloading backup archives is recommended; backups stored remotely are not guaranteed to be available'}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={disabledReason !== null} aria-describedby={disabledReason === null ? undefined : ids.why}>
            Create backup
          </button>
          {disabledReason !== null ? (
            <p id={ids.why} className="field-hint">
              {disabledReason}
            </p>
          ) : null}
        </div>
      </form>
      {createError !== null ? <ErrorMessage error={createError} title="The backup could not start" {...retry} retrying={retryCreate.retrying || running} retryLabel="Retry backup" /> : null}
      {operation !== undefined && running ? <BackupProgress operation={operation} onCancel={() => void cancel(operation.id)} /> : null}
      {operation?.state === 'failed' && operation.error ? <ErrorMessage error={operation.error} title="The backup failed" {...retry} retrying={retryCreate.retrying || backupRunning} retryLabel="Retry backup" /> : null}
      {operation?.state === 'cancelled' ? (
        <p className="notice" role="status">
          The backup was cancelled; no archive was kept and nothing was stored on the server.
        </p>
      ) : null}
      {result !== undefined ? (
        <div className="backup-result" role="region" aria-label="Backup created">
          <p role="status">Backup complete.</p>
          <MetadataBlock metadata={result.metadata} />
          <p>{result.metadata.id}</p>
          {result.localPath !== null ? <p>downloading to {result.localPath}</p> : null}
          {result.warning !== null ? <p className="notice">WARNING: {result.warning}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
