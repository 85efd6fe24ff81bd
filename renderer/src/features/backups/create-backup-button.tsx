import { useAppStore } from '../../store/store-context';

/**
 * "Create backup" from anywhere (the topology page): the same action as the
 * Backups page's form with its defaults (initial state server, local copy in
 * the default folder), then the Backups page to follow its progress.
 */
export function CreateBackupButton() {
  const environmentId = useAppStore((s) => s.environments.selectedId);
  const running = useAppStore((s) => {
    const id = s.backups.createOperationId;
    return id !== null && s.operations.byId[id]?.state === 'running';
  });
  const createBackup = useAppStore((s) => s.createBackup);
  const navigate = useAppStore((s) => s.navigate);
  if (environmentId === null) return null;
  return (
    <button
      type="button"
      className="button button-primary"
      disabled={running}
      onClick={() => {
        void createBackup({ environmentId, notes: '', keepLocal: true });
        navigate('backups');
      }}
    >
      Create backup
    </button>
  );
}
