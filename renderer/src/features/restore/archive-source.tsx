import { useId } from 'react';
import { useAppStore } from '../../store/store-context';
import { ARCHIVE_ACCEPT } from './dropped-files';
import { formatBytes } from './format';

/**
 * Where the archive comes from: dropped anywhere on the window, picked with
 * the file chooser (Electron shows its native open dialog for a file input,
 * and the preload turns the pick into a path; browser mode streams it to the
 * host), or "Restore this one" on a row of the Backups list. Refusals and the
 * upload of a dropped file in browser mode show here.
 */
export function ArchiveSource() {
  const inputId = useId();
  const archive = useAppStore((s) => s.restore.archive);
  const refusal = useAppStore((s) => s.restore.refusal);
  const receiving = useAppStore((s) => s.restore.receiving);
  const running = useAppStore((s) => s.restore.restore.run?.state === 'running');
  const openDropped = useAppStore((s) => s.openDroppedFiles);
  const close = useAppStore((s) => s.closeRestoreArchive);
  const navigate = useAppStore((s) => s.navigate);

  return (
    <section className="restore-source" aria-labelledby="restore-source-title">
      <h2 id="restore-source-title">Backup archive</h2>
      {archive === null ? (
        <p className="muted">
          Drop a backup archive (.tar.gz or .tgz) anywhere on this window, choose one below, or use Restore this one on the{' '}
          <a
            href="#/backups"
            onClick={(event) => {
              event.preventDefault();
              navigate('backups');
            }}
          >
            Backups list
          </a>
          . Quorum inspects it offline first: nothing is touched until you start the restore.
        </p>
      ) : (
        <div className="restore-archive-line">
          <p>
            Archive: <span className="mono">{archive.label}</span>
            {'localPath' in archive.ref ? null : ' (the copy on the state server, downloaded for inspection)'}
          </p>
          <button type="button" className="button button-quiet" disabled={running} onClick={() => void close()}>
            Close archive
          </button>
        </div>
      )}
      <div className="restore-picker">
        <label htmlFor={inputId}>Choose a backup archive</label>
        <input
          id={inputId}
          type="file"
          accept={ARCHIVE_ACCEPT}
          disabled={running || receiving !== null}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            // Let the same file be chosen again after a refusal.
            event.target.value = '';
            void openDropped(files.map((file) => ({ file, isDirectory: false })));
          }}
        />
      </div>
      {receiving !== null ? (
        <div className="restore-receiving">
          <p role="status">
            Receiving {receiving.name}: {formatBytes(receiving.sent)} of {formatBytes(receiving.total)}
          </p>
          <progress aria-label={`Receiving ${receiving.name}`} max={Math.max(1, receiving.total)} value={receiving.sent} />
        </div>
      ) : null}
      {refusal !== null ? (
        <div className="notice notice-error" role="alert" aria-label="Archive refused">
          <p className="notice-title">This cannot be restored from</p>
          <p>{refusal}</p>
        </div>
      ) : null}
    </section>
  );
}
