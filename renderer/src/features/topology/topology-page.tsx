import { useEffect } from 'react';
import { ErrorMessage } from '../../components/error-message';
import { RetryButton } from '../../components/retry-button';
import { useRetryConnection } from '../../components/use-retry-connection';
import { CreateBackupButton } from '../backups/create-backup-button';
import { useAppStore } from '../../store/store-context';
import { HostKeyProblems } from './host-key-problems';
import { MachineDetail } from './machine-detail';
import { MachineList } from './machine-list';
import { QuorumBanner } from './quorum-banner';
import { selectEnvironmentName, selectTopology, selectTopologySnapshot } from './selectors';
import { StateServerMap } from './state-server-map';
import './topology.css';

/** How often a shown page renews its watch (main lets a watch lapse after 30 s). */
const RENEW_MS = 10_000;

/**
 * The Topology section: quorum banner, the state servers as a map, the
 * other machines, and the selected machine's details — live while shown.
 * The page holds a watch on main's poller while mounted; main polls once
 * per interval however many windows watch.
 */
export function TopologyPage() {
  const watch = useAppStore((s) => s.watchTopology);
  // A new selection renews the watch at once: its answer is main's snapshot of the new environment.
  const selectedId = useAppStore((s) => s.environments.selectedId);
  useEffect(() => {
    void watch(true);
    const renew = setInterval(() => void watch(true), RENEW_MS);
    return () => {
      clearInterval(renew);
      void watch(false);
    };
  }, [watch, selectedId]);

  // Everything below is the selected environment's (selectors.ts): never another's under its name.
  const status = useAppStore((s) => selectTopologySnapshot(s).status);
  const error = useAppStore((s) => selectTopologySnapshot(s).error);
  const hasTopology = useAppStore((s) => selectTopology(s) !== null);
  const empty = useAppStore((s) => selectTopology(s)?.machines.length === 0);
  const stale = useAppStore((s) => selectTopology(s)?.stale ?? false);
  const observedAt = useAppStore((s) => selectTopology(s)?.observedAt ?? null);
  const actionError = useAppStore((s) => s.topology.actionError);
  const dismissActionError = useAppStore((s) => s.dismissTopologyError);
  const actionRetry = useAppStore((s) => s.topology.actionRetry);
  const powerMachine = useAppStore((s) => s.powerMachine);
  // The power action under way is the retried one: its button says so until main answers.
  const retryingPower = useAppStore((s) => Object.keys(s.topology.power).length > 0);
  const environmentName = useAppStore(selectEnvironmentName);

  const hostKeyError = error?.code === 'host-key-unknown' || error?.code === 'host-key-changed';
  const retry = useRetryConnection();

  return (
    <div className="topology-page">
      <HostKeyProblems />
      {error !== null && !hostKeyError ? <ErrorMessage error={error} title="Cannot read the topology" {...retry} /> : null}
      {actionError !== null ? (
        <div className="notice notice-error" role="alert">
          <p>{actionError.message}</p>
          <div className="form-actions">
            {actionRetry !== null ? (
              <RetryButton
                label={`Retry power ${actionRetry.on ? 'on' : 'off'} machine ${actionRetry.machineId}`}
                retrying={retryingPower}
                onRetry={() => void powerMachine(actionRetry.machineId, actionRetry.on)}
              />
            ) : null}
            <button type="button" className="button button-quiet" onClick={dismissActionError}>
              Dismiss
            </button>
          </div>
        </div>
      ) : null}
      {status === 'idle' ? (
        <div className="empty-state">
          <p>Select an environment to see its machines and state servers.</p>
        </div>
      ) : null}
      {status === 'loading' && !hasTopology ? (
        <p className="status-line" role="status">
          Connecting to the state servers{environmentName === null ? '' : ` of ${environmentName}`}…
        </p>
      ) : null}
      {hasTopology ? (
        <>
          {stale ? (
            <p className="notice" role="status">
              Showing the last known state{observedAt === null ? '' : ` from ${new Date(observedAt).toLocaleTimeString()}`}: no state server can be reached right now. Quorum keeps trying.
            </p>
          ) : null}
          <div className="topology-actions">
            <CreateBackupButton />
          </div>
          <QuorumBanner />
          {empty ? (
            <div className="empty-state">
              <p>This environment records no machines.</p>
            </div>
          ) : (
            <div className="topology-layout">
              <div className="topology-main">
                <StateServerMap />
                <MachineList />
              </div>
              <MachineDetail />
            </div>
          )}
        </>
      ) : null}
    </div>
  );
}
