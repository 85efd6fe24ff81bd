import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { assertNever } from '../../../shared/errors';
import type { OperationSnapshot, OperationState } from '../../../shared/ipc/operations';
import { selectOperations } from '../store/selectors';
import { useAppStore } from '../store/store-context';

function stateLabel(state: OperationState): string {
  switch (state) {
    case 'running':
      return 'Running';
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    default:
      return assertNever(state, 'operation state');
  }
}

function OperationRow({ operation }: { operation: OperationSnapshot }) {
  const cancelOperation = useAppStore((state) => state.cancelOperation);
  const [cancelling, setCancelling] = useState(false);
  const { fraction } = operation.progress;
  return (
    <li className="operation">
      <div className="operation-head">
        <span className="operation-title">{operation.title}</span>
        <span className={`badge badge-${operation.state}`}>{stateLabel(operation.state)}</span>
      </div>
      <p className="operation-message">{operation.error?.message ?? operation.progress.message}</p>
      {operation.state === 'running' ? (
        <div className="operation-actions">
          <progress aria-label={`Progress of ${operation.title}`} max={1} value={fraction ?? undefined} />
          <button
            type="button"
            className="button button-quiet"
            disabled={cancelling}
            aria-label={`Cancel ${operation.title}`}
            onClick={() => {
              setCancelling(true);
              void cancelOperation(operation.id).finally(() => setCancelling(false));
            }}
          >
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      ) : null}
    </li>
  );
}

/**
 * The header's compact view of long jobs (backup, restore, HA). It reads the
 * operations slice, which catches up from `operations.list` after a reload,
 * so a job started before the reload still shows here.
 */
export function OperationsTray() {
  const operations = useAppStore(useShallow(selectOperations));
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !open) return;
    setOpen(false);
    toggleRef.current?.focus();
  };
  const running = operations.filter((operation) => operation.state === 'running').length;
  const summary = running === 0 ? 'No operations running' : running === 1 ? '1 operation running' : `${running} operations running`;

  return (
    <div className="operations-tray" onKeyDown={onKeyDown}>
      <button
        ref={toggleRef}
        type="button"
        className={`button button-quiet operations-toggle${running > 0 ? ' is-busy' : ''}`}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
      >
        <span className="operations-dot" aria-hidden="true" />
        {summary}
      </button>
      {/* Announces changes without making the button's own name depend on a live region. */}
      <span role="status" className="visually-hidden">
        {summary}
      </span>
      {open ? (
        <section id={panelId} className="operations-panel" aria-label="Operations">
          {operations.length === 0 ? (
            <p className="muted">No operations have run since Quorum started.</p>
          ) : (
            <ul className="operation-list">
              {[...operations].reverse().map((operation) => (
                <OperationRow key={operation.id} operation={operation} />
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </div>
  );
}
