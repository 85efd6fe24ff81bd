import { useId } from 'react';
import type { HaMachine } from '../../../../shared/ipc/channels/ha';
import type { HaForm } from './plan-model';

/**
 * `ensure-availability`'s optional flags: `--series`, `--constraints` and
 * `--to` (existing machines that are not state servers; Juju converts them
 * before it adds new ones).
 */
export function HaOptions({
  form,
  candidates,
  defaultSeries,
  disabled,
  onChange,
}: {
  form: HaForm;
  candidates: readonly HaMachine[];
  defaultSeries: string | null;
  disabled: boolean;
  onChange: (form: HaForm) => void;
}) {
  const ids = { series: useId(), constraints: useId(), to: useId(), seriesHint: useId(), toHint: useId() };
  const toggle = (machineId: string, on: boolean) =>
    onChange({ ...form, placement: on ? [...form.placement, machineId] : form.placement.filter((id) => id !== machineId) });

  return (
    <details className="ha-options" open={form.series !== '' || form.constraints !== '' || form.placement.length > 0 ? true : undefined}>
      <summary>Options: series, constraints, placement</summary>
      <div className="ha-options-body">
        <div className="field">
          <label htmlFor={ids.series}>Series</label>
          <input
            id={ids.series}
            value={form.series}
            placeholder={defaultSeries ?? ''}
            aria-describedby={ids.seriesHint}
            disabled={disabled}
            onChange={(e) => onChange({ ...form, series: e.target.value })}
          />
          <p id={ids.seriesHint} className="field-hint">
            --series; empty: the series of the first voting state server{defaultSeries ? ` (${defaultSeries})` : ''}.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.constraints}>Constraints</label>
          <input
            id={ids.constraints}
            value={form.constraints}
            placeholder="mem=4G cpu-cores=2"
            disabled={disabled}
            onChange={(e) => onChange({ ...form, constraints: e.target.value })}
          />
        </div>
        <fieldset className="ha-placement" aria-describedby={ids.toHint} disabled={disabled}>
          <legend>Place on existing machines (--to)</legend>
          <p id={ids.toHint} className="field-hint">
            Chosen machines become state servers (converted) before any new machine is added, in the order chosen.
          </p>
          {candidates.length === 0 ? <p className="muted">No machine can take a state server: every live machine already is one.</p> : null}
          <ul className="ha-placement-list">
            {candidates.map((m) => {
              const checked = form.placement.includes(m.machineId);
              const order = form.placement.indexOf(m.machineId);
              return (
                <li key={m.machineId} className="field-check">
                  <input id={`${ids.to}-${m.machineId}`} type="checkbox" checked={checked} onChange={(e) => toggle(m.machineId, e.target.checked)} />
                  <label htmlFor={`${ids.to}-${m.machineId}`}>
                    Machine {m.machineId}
                    <span className="muted">
                      {' '}
                      {[m.address, m.series, m.agentState].filter(Boolean).join(', ')}
                      {checked ? ` — --to #${order + 1}` : ''}
                    </span>
                  </label>
                </li>
              );
            })}
          </ul>
        </fieldset>
      </div>
    </details>
  );
}
