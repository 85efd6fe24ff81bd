import { sectionHref } from '../../components/section-nav';
import { useAppStore } from '../../store/store-context';
import { createBackupResultSchema } from '../../../../shared/ipc/channels/backups';

/**
 * Shrinking: Juju refuses fewer state servers (`cannot reduce state server
 * count`); the only way is backup → restore (which starts with one state
 * server) → ensure-availability with the smaller count. The first step is
 * offered here; the Backups and Restore pages do the second, and this page
 * the third.
 */
export function ShrinkPanel({ environmentId, voting }: { environmentId: string; voting: number }) {
  const createBackup = useAppStore((s) => s.createBackup);
  const navigate = useAppStore((s) => s.navigate);
  const createError = useAppStore((s) => s.backups.createError);
  const operation = useAppStore((s) => (s.backups.createOperationId === null ? undefined : s.operations.byId[s.backups.createOperationId]));
  const running = operation?.state === 'running';
  const parsed = operation?.state === 'succeeded' ? createBackupResultSchema.safeParse(operation.result) : null;

  return (
    <section className="ha-shrink" aria-labelledby="ha-shrink-title">
      <h2 id="ha-shrink-title">Fewer state servers</h2>
      <p>
        Juju cannot reduce the number of state servers: <code>ensure-availability</code> answers <q>cannot reduce state server count</q>. Going below{' '}
        {voting} takes three steps:
      </p>
      <ol className="ha-shrink-steps">
        <li>
          Create a backup of this environment.{' '}
          <button
            type="button"
            className="button"
            disabled={running}
            onClick={() => void createBackup({ environmentId, notes: 'before reducing the number of state servers', keepLocal: true })}
          >
            Create backup
          </button>
          {running && operation !== undefined ? (
            <span className="status-line" role="status">
              {' '}
              {operation.progress.message}
            </span>
          ) : null}
          {parsed?.success ? (
            <span role="status">
              {' '}
              Backup <code>{parsed.data.metadata.id}</code> created.
            </span>
          ) : null}
          {operation?.state === 'failed' && operation.error ? <span role="alert"> The backup failed: {operation.error.message}</span> : null}
          {createError !== null ? <span role="alert"> The backup could not start: {createError.message}</span> : null}
        </li>
        <li>Restore the backup to a new environment, which starts with a single state server.</li>
        <li>Run ensure-availability there with the smaller count.</li>
      </ol>
      <p className="muted">
        For step 2, use Restore this one on the{' '}
        <a href={sectionHref('backups')} onClick={() => navigate('backups')}>
          Backups page
        </a>{' '}
        (or open the archive on the{' '}
        <a href={sectionHref('restore')} onClick={() => navigate('restore')}>
          Restore page
        </a>
        ); once restored, come back here for step 3.
      </p>
    </section>
  );
}
