import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { selectEnvironmentItems, selectSelectedEnvironment } from '../../store/selectors';
import { useAppStore } from '../../store/store-context';
import { KIND_GROUPS, environmentOptionLabel, environmentSummary } from './environment-labels';

/**
 * The header's environment switcher: a native `<select>` (keyboard and
 * screen-reader behaviour for free) grouped by kind. Broken environments are
 * listed with "error" in their label; choosing one shows why in the page.
 */
export function EnvironmentSwitcher() {
  const id = useId();
  const items = useAppStore(useShallow(selectEnvironmentItems));
  const selected = useAppStore(selectSelectedEnvironment);
  const status = useAppStore((state) => state.environments.status);
  const selectEnvironment = useAppStore((state) => state.selectEnvironment);
  const loading = items.length === 0 && status !== 'error';

  const hint = loading ? 'Loading environments…' : selected === null ? 'No environment selected' : selected.error === null ? environmentSummary(selected) : 'Cannot be used: see the message below';

  return (
    <div className="switcher">
      <label htmlFor={id} className="switcher-label">
        Environment
      </label>
      <select
        id={id}
        className="switcher-select"
        value={selected?.id ?? ''}
        disabled={items.length === 0}
        aria-describedby={`${id}-hint`}
        aria-invalid={selected?.error != null}
        onChange={(event) => void selectEnvironment(event.target.value)}
      >
        {selected === null ? <option value="">{loading ? 'Loading…' : 'None'}</option> : null}
        {KIND_GROUPS.map(({ kind, label }) => {
          const group = items.filter((environment) => environment.kind === kind);
          if (group.length === 0) return null;
          return (
            <optgroup key={kind} label={label}>
              {group.map((environment) => (
                <option key={environment.id} value={environment.id}>
                  {environmentOptionLabel(environment)}
                </option>
              ))}
            </optgroup>
          );
        })}
      </select>
      <span id={`${id}-hint`} className={`switcher-hint${selected?.error == null ? '' : ' is-error'}`}>
        {hint}
      </span>
    </div>
  );
}
