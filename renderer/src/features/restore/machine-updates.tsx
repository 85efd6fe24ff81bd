import type { MachineUpdateRow } from '../../../../shared/ipc/channels/restore';
import { useAppStore } from '../../store/store-context';

const ROW_STATE_TEXT = { pending: 'pending', running: 'updating', succeeded: 'succeeded', failed: 'failed' } as const;

/**
 * "updating all machines": one row per machine that is not a state server
 * and not dead, as 1.25 reports them, with the reason and a Retry for a
 * failed one.
 */
export function MachineUpdates({ operationId, rows }: { operationId: string; rows: readonly MachineUpdateRow[] }) {
  const retry = useAppStore((s) => s.retryRestoreMachine);
  const errors = useAppStore((s) => s.restore.retryErrors);
  if (rows.length === 0) return null;
  return (
    <table className="restore-table restore-machines" aria-label="Updating all machines">
      <caption>Updating all machines</caption>
      <thead>
        <tr>
          <th scope="col">Machine</th>
          <th scope="col">Address</th>
          <th scope="col">State</th>
          <th scope="col">Agents</th>
          <th scope="col">Juju says</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.machineId} aria-label={`Machine ${row.machineId}`}>
            <th scope="row">{row.machineId}</th>
            <td>{row.address ?? '—'}</td>
            <td>
              <span className={`badge row-badge-${row.state}`}>{ROW_STATE_TEXT[row.state]}</span>
              {row.attempts > 1 ? <span className="muted"> ({row.attempts} attempts)</span> : null}
            </td>
            <td>{row.agents.join(', ') || '—'}</td>
            <td>
              {row.message ?? ''}
              {row.state === 'failed' && row.reason !== null && !(row.message ?? '').includes(row.reason) ? <span className="row-reason"> {row.reason}</span> : null}
              {errors[row.machineId] !== undefined ? (
                <span className="row-reason" role="alert">
                  {' '}
                  {errors[row.machineId]!.message}
                </span>
              ) : null}
            </td>
            <td>
              {row.state === 'failed' ? (
                <button type="button" className="button" aria-label={`Retry machine ${row.machineId}`} onClick={() => void retry(operationId, row.machineId)}>
                  Retry
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
