import { useId } from 'react';
import { useAppStore } from '../../store/store-context';
import { selectBackupRunning } from './selectors';
import './backups.css';

/**
 * "Create backup" from anywhere (the topology page): the same action as the
 * Backups page's form with its defaults (initial state server, local copy in
 * the default folder), then the Backups page to follow its progress. While
 * disabled it says why beside it.
 */
export function CreateBackupButton() {
  const environmentId = useAppStore((s) => s.environments.selectedId);
  const running = useAppStore(selectBackupRunning);
  const createBackup = useAppStore((s) => s.createBackup);
  const navigate = useAppStore((s) => s.navigate);
  const why = useId();
  if (environmentId === null) return null;
  return (
    <div className="create-backup-action">
      <button
        type="button"
        className="button button-primary"
        disabled={running}
        aria-describedby={running ? why : undefined}
        onClick={() => {
          void createBackup({ environmentId, notes: '', keepLocal: true });
          navigate('backups');
        }}
      >
        Create backup
      </button>
      {running ? (
        <span id={why} className="field-hint">
          A backup of this environment is running: follow it on the Backups page.
        </span>
      ) : null}
    </div>
  );
}
