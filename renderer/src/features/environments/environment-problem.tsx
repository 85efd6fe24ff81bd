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

  const refused = useAppStore((state) =>
    state.environments.selectError === null ? undefined : state.environments.items.find((e) => e.id === state.environments.selectError?.id),
  );

  if (loadError !== null) return <ErrorMessage title="Quorum could not list the environments." error={loadError} />;
  if (selectError !== null) {
    // Main refuses to select an environment that cannot be used; say which, why, and what to do.
    if (refused?.error != null) return <UnusableEnvironment environment={refused} error={refused.error} />;
    return <ErrorMessage title={`Quorum could not switch to ${refused?.name ?? 'that environment'}.`} error={selectError.error} />;
  }
  if (selected?.error == null) return null;
  return <UnusableEnvironment environment={selected} error={selected.error} />;
}

function UnusableEnvironment({ environment: selected, error }: { environment: Environment; error: SerializedError }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">The environment “{selected.name}” cannot be used.</p>
      <p>{error.message}</p>
      <p>
        Choose another environment in the switcher
        {selected.source === null ? '.' : <>, or fix <code>{selected.source}</code> and reload Quorum.</>}
      </p>
    </div>
  );
}
