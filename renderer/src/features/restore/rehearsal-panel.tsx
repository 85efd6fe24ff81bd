import { ErrorMessage } from '../../components/error-message';
import { useAppStore } from '../../store/store-context';
import { formatDuration } from './format';
import { MachineUpdates } from './machine-updates';
import { RestoredMachines, RestoredTopology } from './restored-machines';
import { RestoreSteps } from './restore-steps';

/**
 * Rehearse in a sandbox: the same steps and checks, restored into a
 * throwaway sandbox shaped like the archive's environment, then torn down;
 * the restored topology and machine list prove the backup restores.
 */
export function RehearsalPanel() {
  const view = useAppStore((s) => s.restore.rehearsal);
  const allowed = useAppStore((s) => s.restore.inspection?.verdict.allowed === true);
  const rehearse = useAppStore((s) => s.startRehearsal);
  const running = view.run?.state === 'running' || (view.operationId !== null && view.run === null && view.result === null && view.error === null);

  return (
    <section className="restore-rehearsal" aria-labelledby="rehearsal-title">
      <h2 id="rehearsal-title">Rehearsal</h2>
      <p className="muted">Prove this backup restores before the day it must: Quorum restores it into a throwaway sandbox built for it, runs every step and check, shows what came back, then removes the sandbox. This environment is not touched.</p>
      <button type="button" className="button" disabled={!allowed || running} onClick={() => void rehearse()}>
        {running ? 'Rehearsing…' : 'Rehearse in a sandbox'}
      </button>
      {view.run !== null ? <RestoreSteps run={view.run} label="Rehearsal" /> : null}
      {view.error !== null ? <ErrorMessage error={view.error} title="The rehearsal failed" /> : null}
      {view.result !== null ? (
        <div className="restore-rehearsal-result" role="region" aria-label="Rehearsal result">
          <p className="notice notice-success" role="status">
            The backup restores: {view.result.sentence} ({formatDuration(view.result.durationMs)}, juju.restoreInfo {view.result.restoreStatus})
          </p>
          <RestoredTopology result={view.result} />
          {view.operationId !== null ? <MachineUpdates operationId={view.operationId} rows={view.result.updates} /> : null}
          <RestoredMachines machines={view.result.machines} label="Machines in the rehearsal" />
        </div>
      ) : null}
    </section>
  );
}
