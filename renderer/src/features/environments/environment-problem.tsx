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

  if (loadError !== null) return <ErrorMessage title="Quorum could not list the environments." error={loadError} />;
  if (selectError !== null) return <ErrorMessage title="That environment could not be selected." error={selectError} />;
  if (selected?.error == null) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">The environment “{selected.name}” cannot be used.</p>
      <p>{selected.error.message}</p>
      <p>
        Choose another environment in the switcher
        {selected.source === null ? '.' : <>, or fix <code>{selected.source}</code> and reload Quorum.</>}
      </p>
    </div>
  );
}
