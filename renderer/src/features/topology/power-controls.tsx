import { memo, useState } from 'react';
import type { MachineView } from '../../../../shared/model/topology';
import { ModalDialog } from '../../components/modal-dialog';
import { useAppStore } from '../../store/store-context';
import { selectPoweredOn, selectTopology } from './selectors';

/**
 * Sandbox-only power button for one machine: "Power off" while it runs,
 * "Power on" while it is off, never both. Powering off a state server is
 * confirmed first, saying what it does to quorum.
 */
export const PowerControls = memo(function PowerControls({ machine }: { machine: MachineView }) {
  const pending = useAppStore((s) => s.topology.power[machine.id] ?? null);
  const poweredOn = useAppStore((s) => selectPoweredOn(s, machine));
  const powerMachine = useAppStore((s) => s.powerMachine);
  const [confirming, setConfirming] = useState(false);

  const powerOff = () => {
    if (machine.isStateServer) setConfirming(true);
    else void powerMachine(machine.id, false);
  };

  return (
    <div className="power-controls">
      {pending !== null ? (
        <button type="button" className="button" disabled>
          {pending === 'powering-off' ? `Powering off machine ${machine.id}…` : `Powering on machine ${machine.id}…`}
        </button>
      ) : poweredOn ? (
        <button type="button" className="button" onClick={powerOff}>
          Power off machine {machine.id}
        </button>
      ) : (
        <button type="button" className="button" onClick={() => void powerMachine(machine.id, true)}>
          Power on machine {machine.id}
        </button>
      )}
      {confirming ? (
        <ConfirmPowerOff
          machine={machine}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void powerMachine(machine.id, false);
          }}
        />
      ) : null}
    </div>
  );
});

function ConfirmPowerOff({ machine, onCancel, onConfirm }: { machine: MachineView; onCancel: () => void; onConfirm: () => void }) {
  const quorum = useAppStore((s) => selectTopology(s)?.quorum ?? null);
  const voting = machine.member?.voting === true && machine.member.healthy;
  let consequence = 'It is a state server: its juju-db member stops with it.';
  if (voting && quorum !== null) {
    const remaining = quorum.healthyVoters - 1;
    consequence =
      remaining >= quorum.majority
        ? `${remaining} of ${quorum.voting} voting members stay healthy, so the replica set keeps its quorum${machine.isPrimary ? ' and elects a new primary' : ''}.`
        : `Only ${remaining} of ${quorum.voting} voting members would stay healthy: the replica set loses its quorum and cannot elect a primary.`;
  }
  return (
    <ModalDialog title={`Power off machine ${machine.id}?`} onClose={onCancel}>
      <p>{consequence}</p>
      <p className="muted">This is the sandbox: power it on again at any time.</p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button-danger" onClick={onConfirm}>
          Power off
        </button>
      </div>
    </ModalDialog>
  );
}
