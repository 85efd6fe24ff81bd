import { memo, useState, type UIEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { MachineView } from '../../../../shared/model/topology';
import { useAppStore } from '../../store/store-context';
import { agentText, machineLabel } from './format';
import { PowerControls } from './power-controls';
import { selectIsSandbox, selectOtherMachines, selectSelectedMachineId } from './selectors';

/** Fixed row height and viewport: simple windowing keeps a 1,000-machine list cheap to render. */
const ROW_HEIGHT = 44;
const VIEWPORT_HEIGHT = 440;
const OVERSCAN = 6;

/**
 * The machines that are not state servers, as a windowed list: only the
 * rows in view (plus a few) are in the DOM, each memoized by machine object.
 */
export function MachineList() {
  const machines = useAppStore(useShallow(selectOtherMachines));
  const sandbox = useAppStore(selectIsSandbox);
  const [scrollTop, setScrollTop] = useState(0);
  const total = machines.length;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + VIEWPORT_HEIGHT) / ROW_HEIGHT) + OVERSCAN);
  const visible = machines.slice(first, last);

  return (
    <section className="machine-section" aria-labelledby="machine-list-title">
      <h2 id="machine-list-title">
        Other machines <span className="muted">({total})</span>
      </h2>
      {total === 0 ? (
        <p className="muted">Every machine in this environment is a state server.</p>
      ) : (
        <div
          className="machine-list"
          role="list"
          aria-label="Other machines"
          tabIndex={0}
          style={{ height: Math.min(total * ROW_HEIGHT, VIEWPORT_HEIGHT) }}
          onScroll={(event: UIEvent<HTMLDivElement>) => setScrollTop(event.currentTarget.scrollTop)}
        >
          <div className="machine-list-inner" style={{ height: total * ROW_HEIGHT }}>
            {visible.map((machine, i) => (
              <MachineRow key={machine.id} machine={machine} sandbox={sandbox} top={(first + i) * ROW_HEIGHT} position={first + i + 1} size={total} />
            ))}
          </div>
        </div>
      )}
    </section>
  );
}

interface RowProps {
  readonly machine: MachineView;
  readonly sandbox: boolean;
  readonly top: number;
  readonly position: number;
  readonly size: number;
}

const MachineRow = memo(function MachineRow({ machine, sandbox, top, position, size }: RowProps) {
  const select = useAppStore((s) => s.selectMachine);
  const selected = useAppStore((s) => selectSelectedMachineId(s) === machine.id);
  return (
    <div
      role="listitem"
      aria-label={machineLabel(machine.id)}
      aria-posinset={position}
      aria-setsize={size}
      className={['machine-row', machine.reachable ? '' : 'is-down', machine.stale ? 'is-stale' : '', selected ? 'is-selected' : ''].filter(Boolean).join(' ')}
      style={{ top, height: ROW_HEIGHT }}
    >
      <span className="machine-id">{machine.id}</span>
      <span className="machine-address">{machine.address ?? '—'}</span>
      <span className={machine.reachable ? 'machine-agent' : 'machine-agent is-down'}>{agentText(machine)}</span>
      <span className="machine-instance muted">{machine.instanceId ?? 'pending'}</span>
      <span className="machine-series muted">{machine.series ?? ''}</span>
      <button type="button" className="button button-quiet" aria-pressed={selected} onClick={() => select(selected ? null : machine.id)}>
        Details of machine {machine.id}
      </button>
      {sandbox ? <PowerControls machine={machine} /> : null}
    </div>
  );
});
