import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { SerializedError } from '../../../../shared/errors';
import type { Environment } from '../../../../shared/ipc/channels/environments';
import { ErrorMessage } from '../../components/error-message';
import { ModalDialog } from '../../components/modal-dialog';
import { selectManualEnvironments } from '../../store/selectors';
import { useAppStore } from '../../store/store-context';
import { EnvironmentForm } from './environment-form';
import { environmentSummary } from './environment-labels';

type View = { mode: 'list' } | { mode: 'add' } | { mode: 'edit'; id: string } | { mode: 'remove'; id: string };

function ManualEnvironmentList({ environments, onEdit, onRemove }: { environments: readonly Environment[]; onEdit: (id: string) => void; onRemove: (id: string) => void }) {
  if (environments.length === 0) return <p className="muted">No environments added by hand yet.</p>;
  return (
    <ul className="environment-list" aria-label="Environments added by hand">
      {environments.map((environment) =>
        environment.error !== null ? (
          <li key={environment.id} className="environment-row">
            <div className="notice notice-error">
              <p className="notice-title">{environment.name} cannot be read.</p>
              <p>{environment.error.message}</p>
            </div>
          </li>
        ) : (
        <li key={environment.id} className="environment-row">
          <div>
            <p className="environment-name">{environment.name}</p>
            <p className="muted">{environment.stateServers.join(', ')}</p>
            <p className="muted">{environmentSummary(environment)}</p>
          </div>
          <div className="row-actions">
            <button type="button" className="button" aria-label={`Edit ${environment.name}`} onClick={() => onEdit(environment.id)}>
              Edit
            </button>
            <button type="button" className="button button-danger" aria-label={`Remove ${environment.name}`} onClick={() => onRemove(environment.id)}>
              Remove
            </button>
          </div>
        </li>
        ),
      )}
    </ul>
  );
}

function ConfirmRemove({ environment, onDone, onCancel }: { environment: Environment; onDone: () => void; onCancel: () => void }) {
  const removeEnvironment = useAppStore((state) => state.removeEnvironment);
  const [error, setError] = useState<SerializedError | null>(null);
  const [removing, setRemoving] = useState(false);
  const headingId = `confirm-remove-${environment.id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return (
    <section className="confirm" role="alertdialog" aria-labelledby={headingId}>
      <h3 id={headingId}>Remove {environment.name}?</h3>
      <p>Quorum forgets this environment&apos;s addresses and key file. Nothing changes on its state servers, and you can add it again later.</p>
      {error === null ? null : <ErrorMessage error={error} />}
      <div className="form-actions">
        <button
          type="button"
          className="button button-danger"
          disabled={removing}
          onClick={() => {
            setRemoving(true);
            void removeEnvironment(environment.id).then((result) => {
              setRemoving(false);
              if (result.ok) onDone();
              else setError(result.error);
            });
          }}
        >
          {removing ? 'Removing…' : 'Remove environment'}
        </button>
        <button type="button" className="button" onClick={onCancel} autoFocus>
          Keep it
        </button>
      </div>
    </section>
  );
}

/**
 * Adds, edits and removes the environments entered by hand. Juju's own
 * environments are read from `.jenv` files and are changed with Juju, so
 * they are not editable here.
 */
export function ManageEnvironmentsDialog({ onClose }: { onClose: () => void }) {
  const manual = useAppStore(useShallow(selectManualEnvironments));
  const addEnvironment = useAppStore((state) => state.addEnvironment);
  const updateEnvironment = useAppStore((state) => state.updateEnvironment);
  const [view, setView] = useState<View>({ mode: 'list' });
  const [notice, setNotice] = useState<string | null>(null);
  /** After a sub-view closes, focus lands on "Add environment" rather than being lost. */
  const [returned, setReturned] = useState(false);
  const toList = (message: string | null) => {
    setNotice(message);
    setReturned(true);
    setView({ mode: 'list' });
  };

  const target = view.mode === 'edit' || view.mode === 'remove' ? manual.find((environment) => environment.id === view.id) : undefined;

  let body;
  if (view.mode === 'add') {
    body = <EnvironmentForm onSubmit={addEnvironment} onDone={(saved) => toList(`Added ${saved.name}.`)} onCancel={() => toList(null)} />;
  } else if (view.mode === 'edit' && target !== undefined) {
    body = (
      <EnvironmentForm
        environment={target}
        onSubmit={(input) => updateEnvironment(target.id, input)}
        onDone={(saved) => toList(`Saved ${saved.name}.`)}
        onCancel={() => toList(null)}
      />
    );
  } else if (view.mode === 'remove' && target !== undefined) {
    body = <ConfirmRemove environment={target} onDone={() => toList(`Removed ${target.name}.`)} onCancel={() => toList(null)} />;
  } else {
    body = (
      <>
        <p className="muted">
          Environments you add here are saved in Quorum&apos;s home folder. Juju environments come from your Juju client
          configuration (JUJU_HOME) and are changed with Juju; Quorum reaches them by SSH on port 22 (Juju&apos;s default) as
          ubuntu. To use another SSH port, add the environment here with that port (or write an address as host:port).
        </p>
        <p role="status" className="status-line is-success">
          {notice}
        </p>
        <ManualEnvironmentList
          environments={manual}
          onEdit={(id) => setView({ mode: 'edit', id })}
          onRemove={(id) => setView({ mode: 'remove', id })}
        />
        <div className="form-actions">
          <button type="button" className="button button-primary" autoFocus={returned} onClick={() => setView({ mode: 'add' })}>
            Add environment
          </button>
        </div>
      </>
    );
  }

  return (
    <ModalDialog title="Manage environments" onClose={onClose}>
      {body}
    </ModalDialog>
  );
}
