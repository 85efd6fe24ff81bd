import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { BackupListItem } from '../../../../shared/ipc/channels/backups';
import { ModalDialog } from '../../components/modal-dialog';
import { useAppStore } from '../../store/store-context';
import { selectBackupItems } from './selectors';
import { formatBytes, formatUtc } from './format';

type SortKey = 'id' | 'location' | 'size' | 'started' | 'notes' | 'machine' | 'version' | 'checksum';

const COLUMNS: ReadonlyArray<[SortKey, string]> = [
  ['started', 'Started'],
  ['id', 'Backup ID'],
  ['location', 'Location'],
  ['size', 'Size'],
  ['notes', 'Notes'],
  ['machine', 'Machine'],
  ['version', 'Version'],
  ['checksum', 'Checksum'],
];

const LOCATION_TEXT = { server: 'on server', local: 'local', both: 'both' } as const;

function sortValue(item: BackupListItem, key: SortKey): string | number {
  switch (key) {
    case 'id':
      return item.id;
    case 'location':
      return item.location;
    case 'size':
      return item.metadata.size;
    case 'started':
      return item.metadata.started ?? '';
    case 'notes':
      return item.metadata.notes;
    case 'machine':
      return Number(item.metadata.machine) || 0;
    case 'version':
      return item.metadata.version;
    case 'checksum':
      return item.checksumState;
  }
}

type Confirm = { kind: 'remove'; item: BackupListItem } | { kind: 'delete'; item: BackupListItem };

/** Every archive, on the server and in the folder, sortable, with per-row actions. */
export function BackupsTable() {
  const items = useAppStore(selectBackupItems);
  const environmentId = useAppStore((s) => s.backups.environmentId ?? s.environments.selectedId);
  const actions = useAppStore(
    useShallow((s) => ({
      info: s.showBackupInfo,
      verify: s.verifyBackup,
      download: s.downloadBackup,
      upload: s.uploadBackup,
      remove: s.removeBackup,
      deleteLocal: s.deleteLocalBackup,
      reveal: s.revealBackup,
      restore: s.openRestoreArchive,
    })),
  );
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'started', descending: true });
  const [confirm, setConfirm] = useState<Confirm | null>(null);

  const sorted = useMemo(() => {
    const copy = [...items];
    copy.sort((a, b) => {
      const va = sortValue(a, sort.key);
      const vb = sortValue(b, sort.key);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return sort.descending ? -c : c;
    });
    return copy;
  }, [items, sort]);

  if (items.length === 0) {
    return (
      <div className="empty-state">
        <p>No backups on the state server or in this folder yet.</p>
      </div>
    );
  }

  return (
    <>
      <div className="table-scroll">
        <table className="backups-table" aria-label="Backups">
          <thead>
            <tr>
              {COLUMNS.map(([key, label]) => (
                <th key={key} scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="sort-button" onClick={() => setSort((s) => ({ key, descending: s.key === key ? !s.descending : false }))}>
                    {label}
                  </button>
                </th>
              ))}
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((item) => {
              const onServer = item.location !== 'local';
              const local = item.location !== 'server' && item.localPath !== null;
              const name = item.id || item.localPath || 'backup';
              return (
                <tr key={`${item.id}|${item.localPath ?? ''}`} aria-label={`Backup ${name}`}>
                  <td>{formatUtc(item.metadata.started)}</td>
                  <td className="mono">{item.id}</td>
                  <td>
                    <span className={`badge location-${item.location}`}>{LOCATION_TEXT[item.location]}</span>
                  </td>
                  <td title={`${item.metadata.size} B`}>{formatBytes(item.metadata.size)}</td>
                  <td>{item.metadata.notes}</td>
                  <td>{item.metadata.machine}</td>
                  <td>{item.metadata.version}</td>
                  <td>
                    <span className={`badge checksum-${item.checksumState}`}>{item.checksumState}</span>
                  </td>
                  <td>
                    <div className="row-actions">
                      <button type="button" className="button button-quiet" aria-label={`Info for ${name}`} onClick={() => void actions.info(local ? { localPath: item.localPath! } : { id: item.id })}>
                        Info
                      </button>
                      <button type="button" className="button button-quiet" aria-label={`Verify ${name}`} onClick={() => void actions.verify(local ? { localPath: item.localPath! } : { id: item.id })}>
                        Verify
                      </button>
                      {item.location === 'server' ? (
                        <button type="button" className="button button-quiet" aria-label={`Download ${name}`} onClick={() => void actions.download(item.id)}>
                          Download
                        </button>
                      ) : null}
                      {item.location === 'local' ? (
                        <button type="button" className="button button-quiet" aria-label={`Upload ${name}`} onClick={() => void actions.upload(item.localPath!)}>
                          Upload
                        </button>
                      ) : null}
                      {local ? (
                        <button type="button" className="button button-quiet" aria-label={`Reveal ${name}`} onClick={() => void actions.reveal(item.localPath!)}>
                          Reveal
                        </button>
                      ) : null}
                      <button
                        type="button"
                        className="button button-quiet"
                        aria-label={`Restore ${name}`}
                        onClick={() => void actions.restore(local ? { localPath: item.localPath! } : { environmentId: environmentId ?? '', backupId: item.id }, local ? item.localPath! : `${item.id} (on the state server)`)}
                      >
                        Restore this one
                      </button>
                      {onServer ? (
                        <button type="button" className="button button-danger" aria-label={`Remove ${name} from server`} onClick={() => setConfirm({ kind: 'remove', item })}>
                          Remove from server
                        </button>
                      ) : null}
                      {local ? (
                        <button type="button" className="button button-danger" aria-label={`Delete local ${name}`} onClick={() => setConfirm({ kind: 'delete', item })}>
                          Delete local
                        </button>
                      ) : null}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {confirm !== null ? (
        <ModalDialog title={confirm.kind === 'remove' ? 'Remove backup from the server?' : 'Delete the local archive?'} onClose={() => setConfirm(null)}>
          <p>
            {confirm.kind === 'remove'
              ? `Backup ${confirm.item.id} and its metadata will be removed from the state server. ${confirm.item.location === 'both' ? 'The local copy stays.' : 'No local copy exists: this cannot be undone.'}`
              : `${confirm.item.localPath} will be deleted. ${confirm.item.location === 'both' ? 'The server keeps its copy.' : 'The server has no copy: this cannot be undone.'}`}
          </p>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirm(null)}>
              Keep it
            </button>
            <button
              type="button"
              className="button button-danger"
              onClick={() => {
                const c = confirm;
                setConfirm(null);
                if (c.kind === 'remove') void actions.remove(c.item.id);
                else void actions.deleteLocal(c.item.localPath!);
              }}
            >
              {confirm.kind === 'remove' ? 'Remove' : 'Delete'}
            </button>
          </div>
        </ModalDialog>
      ) : null}
    </>
  );
}
