import { useEffect, useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorMessage } from '../../components/error-message';
import { ModalDialog } from '../../components/modal-dialog';
import { RetryButton, useRetry } from '../../components/retry-button';
import { useAppStore } from '../../store/store-context';
import { BackupsTable } from './backups-table';
import { CreateBackupPanel } from './create-backup-panel';
import { MetadataBlock } from './metadata-block';
import { SchedulePanel } from './schedule-panel';
import { formatBytes } from './format';
import { selectInvalidArchives, selectListIsSelected, selectPlanState } from './selectors';
import './backups.css';

/**
 * The Backups section: create a backup, and one list merging the archives
 * on the state server with those in the local folder.
 */
export function BackupsPage() {
  const environmentId = useAppStore((s) => s.environments.selectedId);
  const loadPlan = useAppStore((s) => s.loadBackupPlan);
  const loadBackups = useAppStore((s) => s.loadBackups);

  useEffect(() => {
    if (environmentId === null) return;
    void loadPlan(environmentId);
    void loadBackups(environmentId);
  }, [environmentId, loadPlan, loadBackups]);

  if (environmentId === null) {
    return (
      <div className="empty-state">
        <p>Select an environment to back it up.</p>
      </div>
    );
  }
  return (
    <div className="backups-page">
      <CreateBackupPanel key={environmentId} environmentId={environmentId} />
      <BackupList environmentId={environmentId} />
      <SchedulePanel key={`schedule-${environmentId}`} environmentId={environmentId} />
      <BackupInfoDialog />
    </div>
  );
}

function BackupList({ environmentId }: { environmentId: string }) {
  // Only the selected environment's list: another's (just switched away from) reads as loading.
  const state = useAppStore(
    useShallow((s) => {
      const mine = selectListIsSelected(s);
      return {
        folder: s.backups.folder,
        status: mine ? s.backups.listStatus : 'loading',
        listError: mine ? s.backups.listError : null,
        serverError: mine ? s.backups.serverError : null,
        actionError: mine ? s.backups.actionError : null,
        actionMessage: mine ? s.backups.actionMessage : null,
        actionRetry: mine ? s.backups.actionRetry : null,
      };
    }),
  );
  const invalid = useAppStore(selectInvalidArchives);
  // The create form already shows this reason: the list says so rather than repeating it.
  const planError = useAppStore((s) => {
    const plan = selectPlanState(s);
    return plan?.status === 'error' ? plan.error.message : null;
  });
  const loadBackups = useAppStore((s) => s.loadBackups);
  const dismiss = useAppStore((s) => s.dismissBackupMessage);
  const retryAction = useRetry(useAppStore((s) => s.retryBackupAction));
  const [folder, setFolder] = useState('');
  const folderId = useId();
  const reload = () => void loadBackups(environmentId, folder.trim() === '' ? undefined : folder.trim());

  return (
    <section className="backup-list" aria-labelledby="backup-list-heading">
      <h2 id="backup-list-heading">Archives</h2>
      <form
        className="backup-folder"
        onSubmit={(e) => {
          e.preventDefault();
          void loadBackups(environmentId, folder.trim() === '' ? undefined : folder.trim());
        }}
      >
        <label htmlFor={folderId}>Local folder</label>
        <input id={folderId} value={folder} placeholder={state.folder ?? ''} onChange={(e) => setFolder(e.target.value)} />
        <button type="submit" className="button">
          Refresh
        </button>
      </form>
      {state.status === 'loading' ? (
        <p className="status-line" role="status">
          Reading the backup list…
        </p>
      ) : null}
      {state.listError !== null ? <ErrorMessage error={state.listError} title="Cannot list backups" onRetry={reload} retrying={state.status === 'loading'} /> : null}
      {state.serverError !== null && state.serverError.message === planError ? (
        <div className="notice" role="status">
          <p>The state server&apos;s list is unavailable for the same reason as above; local archives are shown.</p>
          <RetryButton onRetry={reload} retrying={state.status === 'loading'} />
        </div>
      ) : state.serverError !== null ? (
        <ErrorMessage error={state.serverError} title="The state server's list is unavailable; local archives are shown" onRetry={reload} retrying={state.status === 'loading'} />
      ) : null}
      {state.actionError !== null || state.actionMessage !== null ? (
        <div className={state.actionError !== null ? 'notice notice-error' : 'notice'} role={state.actionError !== null ? 'alert' : 'status'}>
          <p>{state.actionError?.message ?? state.actionMessage}</p>
          <div className="form-actions">
            {state.actionError !== null && state.actionRetry !== null ? <RetryButton {...retryAction} label={state.actionRetry} /> : null}
            <button type="button" className="button button-quiet" onClick={dismiss}>
              Dismiss
            </button>
          </div>
        </div>
      ) : null}
      <BackupsTable />
      {invalid.length > 0 ? (
        <div className="backup-invalid">
          <h3>Unusable files in this folder</h3>
          <ul aria-label="Invalid archives">
            {invalid.map((i) => (
              <li key={i.localPath}>
                <span className="mono">{i.localPath}</span>: invalid — {i.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

function BackupInfoDialog() {
  const info = useAppStore((s) => s.backups.info);
  const close = useAppStore((s) => s.closeBackupInfo);
  if (info === null) return null;
  return (
    <ModalDialog title={`Backup ${info.metadata.id}`} onClose={close}>
      <MetadataBlock metadata={info.metadata} label="Backup info" />
      <p>Location: {info.location}{info.localPath ? ` (${info.localPath})` : ''}</p>
      {info.contents ? (
        <>
          <p>
            root.tar holds {info.contents.rootTarMembers} members; the dump {info.contents.hasOplog ? 'includes' : 'lacks'} oplog.bson.
          </p>
          <ul aria-label="Dumped databases">
            {info.contents.databases.map((d) => (
              <li key={d.name}>
                {d.name}: {d.collections} collections, {formatBytes(d.bytes)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </ModalDialog>
  );
}
