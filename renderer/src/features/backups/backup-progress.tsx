import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import { formatBytes, formatRate } from './format';

/** The running backup: phase sentence, a bar, bytes and rate, and Cancel. */
export function BackupProgress({ operation, onCancel }: { operation: OperationSnapshot; onCancel: () => void }) {
  const p = operation.progress;
  const fraction = p.fraction ?? (p.step !== undefined && p.steps ? p.step / p.steps : undefined);
  return (
    <div className="backup-progress" aria-live="polite">
      <p className="backup-phase" role="status">
        {p.message}
      </p>
      <div
        className="backup-bar"
        role="progressbar"
        aria-label="Backup progress"
        aria-valuemin={0}
        aria-valuemax={100}
        {...(fraction === undefined ? {} : { 'aria-valuenow': Math.round(fraction * 100) })}
      >
        <div className={fraction === undefined ? 'backup-bar-fill indeterminate' : 'backup-bar-fill'} style={fraction === undefined ? undefined : { width: `${Math.round(fraction * 100)}%` }} />
      </div>
      <p className="muted backup-bytes">
        {p.bytes !== undefined ? formatBytes(p.bytes) : null}
        {p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : null}
        {p.rate !== undefined && p.rate > 0 ? ` · ${formatRate(p.rate)}` : null}
      </p>
      <button type="button" className="button" onClick={onCancel}>
        Cancel backup
      </button>
    </div>
  );
}
