import type { SerializedError } from '../../../../shared/errors';
import type { Environment } from '../../../../shared/ipc/channels/environments';
import { ErrorMessage } from '../../components/error-message';
import { selectSelectedEnvironment } from '../../store/selectors';
import { useAppStore } from '../../store/store-context';

/**
 * Explains, above the page, why the environments cannot be listed, why a
 * selection was refused, or why the selected environment cannot be used,
 * and what to do about it.
 */
export function EnvironmentProblem() {
  const loadError = useAppStore((state) => state.environments.loadError);
  const selectError = useAppStore((state) => state.environments.selectError);
  const selected = useAppStore(selectSelectedEnvironment);
  const loading = useAppStore((state) => state.environments.status === 'loading');
  const loadEnvironments = useAppStore((state) => state.loadEnvironments);
  const selectEnvironment = useAppStore((state) => state.selectEnvironment);

  const refused = useAppStore((state) =>
    state.environments.selectError === null ? undefined : state.environments.items.find((e) => e.id === state.environments.selectError?.id),
  );

  if (loadError !== null) return <ErrorMessage title="Quorum could not list the environments." error={loadError} onRetry={() => void loadEnvironments()} retrying={loading} />;
  if (selectError !== null) {
    const again = () => void selectEnvironment(selectError.id);
    // Main refuses to select an environment that cannot be used; say which, why, and what to do.
    if (refused?.error != null) return <UnusableEnvironment environment={refused} error={refused.error} onCheckAgain={again} />;
    return <ErrorMessage title={`Quorum could not switch to ${refused?.name ?? 'that environment'}.`} error={selectError.error} onRetry={again} />;
  }
  if (selected?.error == null) return null;
  return <UnusableEnvironment environment={selected} error={selected.error} onCheckAgain={() => void loadEnvironments()} checking={loading} />;
}

function UnusableEnvironment({ environment: selected, error, onCheckAgain, checking = false }: { environment: Environment; error: SerializedError; onCheckAgain: () => void; checking?: boolean }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">The environment “{selected.name}” cannot be used.</p>
      <p>{error.message}</p>
      <p>
        Choose another environment in the switcher
        {selected.source === null ? '.' : <>, or fix <code>{selected.source}</code>, then check again.</>}
      </p>
      <button type="button" className="button" onClick={onCheckAgain} disabled={checking}>
        {checking ? 'Checking…' : 'Check again'}
      </button>
    </div>
  );
}
