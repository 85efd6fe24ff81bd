import { useEffect } from 'react';
import type { HaStatus } from '../../../../shared/ipc/channels/ha';
import { sectionHref } from '../../components/section-nav';
import { useAppStore } from '../../store/store-context';
import { newestVerifiedBackup } from './plan-model';

/**
 * Fewer than a majority of the voters are up: MongoDB cannot elect a
 * primary, so Juju can make no change (ensure-availability included) and
 * only a restore from a backup recovers. Names the backup to restore.
 */
export function QuorumLost({ environmentId, status }: { environmentId: string; status: HaStatus }) {
  const loadBackups = useAppStore((s) => s.loadBackups);
  const navigate = useAppStore((s) => s.navigate);
  const items = useAppStore((s) => (s.backups.environmentId === environmentId ? s.backups.items : null));
  const listed = useAppStore((s) => s.backups.environmentId === environmentId && s.backups.listStatus !== 'loading' && s.backups.listStatus !== 'idle');
  useEffect(() => {
    void loadBackups(environmentId);
  }, [environmentId, loadBackups]);
  const newest = items === null ? null : newestVerifiedBackup(items);
  const q = status.quorum;

  return (
    <section className="ha-quorum-lost" role="alert" aria-labelledby="ha-quorum-lost-title">
      <h2 id="ha-quorum-lost-title">Quorum lost: only a restore recovers</h2>
      <p>
        {q !== null ? `${q.healthyVoters} of ${q.voting} voting members are up; ${q.majority} are needed. ` : ''}
        The replica set cannot elect a primary, so Juju cannot change anything, ensure-availability included. Juju&apos;s recovery from failed state
        servers needs a majority; without one, only a restore from a backup recovers the environment.
      </p>
      <h3>Next step: restore from a backup</h3>
      {newest !== null ? (
        <p>
          The newest verified backup is <code>{newest.id}</code>
          {newest.metadata.started !== null ? ` (taken ${new Date(newest.metadata.started).toLocaleString()})` : ''}: restore that one.
        </p>
      ) : listed ? (
        <p>No verified backup of this environment is known. Verify an archive on the Backups page (or find one taken elsewhere) before restoring.</p>
      ) : (
        <p className="status-line">Looking for the newest verified backup…</p>
      )}
      <p className="form-actions">
        <a href={sectionHref('restore')} className="button button-danger" onClick={() => navigate('restore')}>
          Go to Restore
        </a>
        <a href={sectionHref('backups')} className="button" onClick={() => navigate('backups')}>
          Go to Backups
        </a>
      </p>
    </section>
  );
}
