import { useCallback, useEffect } from 'react';
import { RetryButton, useRetry } from '../../components/retry-button';
import { useAppStore } from '../../store/store-context';
import { QuorumBanner } from '../topology/quorum-banner';
import { AdminPasswordForm } from './admin-password-form';
import { ApplyProgress, LiveStateServers } from './apply-progress';
import { HaError } from './ha-error';
import { QuorumLost } from './quorum-lost';
import { RecoveryFlow } from './recovery-flow';
import { ScalePanel } from './scale-panel';
import { ShrinkPanel } from './shrink-panel';
import '../topology/topology.css';
import './ha.css';

/** How often the page renews its topology watch (main lets a watch lapse after 30 s). */
const RENEW_MS = 10_000;

/**
 * The High availability section: the quorum banner, the state-server count
 * with Juju's plan and Apply, the change under way live, the guided
 * recovery from failed state servers, quorum loss, and shrinking. It holds
 * a topology watch while shown, so transitions arrive as main polls.
 */
export function HaPage() {
  const environmentId = useAppStore((s) => s.environments.selectedId);
  const watch = useAppStore((s) => s.watchTopology);
  const loadStatus = useAppStore((s) => s.loadHaStatus);

  useEffect(() => {
    void watch(true);
    const renew = setInterval(() => void watch(true), RENEW_MS);
    return () => {
      clearInterval(renew);
      void watch(false);
    };
  }, [watch]);

  useEffect(() => {
    if (environmentId !== null) void loadStatus(environmentId);
  }, [environmentId, loadStatus]);

  if (environmentId === null) {
    return (
      <div className="empty-state">
        <p>Select an environment to change its state servers.</p>
      </div>
    );
  }
  return <HaContent environmentId={environmentId} />;
}

function HaContent({ environmentId }: { environmentId: string }) {
  const status = useAppStore((s) => (s.ha.environmentId === environmentId ? s.ha.status : null));
  const statusError = useAppStore((s) => s.ha.statusError);
  const applyOperationId = useAppStore((s) => s.ha.applyOperationId);
  const applyError = useAppStore((s) => s.ha.applyError);
  const running = useAppStore((s) => {
    const id = s.ha.applyOperationId ?? s.ha.status?.applyOperationId ?? null;
    if (id === null) return false;
    const op = s.operations.byId[id];
    return op === undefined ? s.ha.status?.applyOperationId === id : op.state === 'running';
  });
  const recoveryOpen = useAppStore((s) => s.ha.recovery.open);
  const openRecovery = useAppStore((s) => s.openHaRecovery);
  const dismiss = useAppStore((s) => s.dismissHaApply);
  const loadStatus = useAppStore((s) => s.loadHaStatus);
  const reload = useRetry(useCallback(() => loadStatus(environmentId), [loadStatus, environmentId]));

  if (status === null) {
    return statusError !== null ? (
      <div className="ha-page">
        <HaError error={statusError} context="High availability" {...reload} />
      </div>
    ) : (
      <p className="status-line" role="status">
        Reading the state servers…
      </p>
    );
  }

  if (status.facts === 'loading' || status.facts === 'unavailable') {
    return (
      <div className="ha-page">
        {status.factsError !== null ? <HaError error={status.factsError} context="Reading the state servers" {...(status.facts === 'loading' ? {} : reload)} /> : null}
        {status.facts === 'loading' ? (
          <p className="status-line" role="status">
            Reading the state servers…
          </p>
        ) : status.factsError === null ? (
          <RetryButton {...reload} />
        ) : null}
      </div>
    );
  }

  const passwordRefused = applyError !== null && (applyError.code === 'juju-login-refused' || applyError.code === 'admin-password-required') ? applyError : null;
  const askPassword = status.adminPassword === 'missing' || passwordRefused !== null;

  return (
    <div className="ha-page">
      <QuorumBanner />
      {status.sentence !== status.quorum?.sentence ? <p className="ha-sentence">{status.sentence}</p> : null}
      {status.factsError !== null ? <HaError error={status.factsError} context="Reading the state servers" /> : null}
      {status.facts === 'stale' ? <p className="notice">Last known facts: no state server can be reached right now. Quorum keeps trying.</p> : null}
      {status.quorumLost ? (
        <QuorumLost environmentId={environmentId} status={status} />
      ) : (
        <>
          {askPassword ? <AdminPasswordForm environmentId={environmentId} refused={passwordRefused} /> : null}
          {status.recoverable && !recoveryOpen ? (
            <div className="notice notice-warning" role="status" aria-label="Failed state servers">
              <p className="notice-title">A state server is down, but a majority remains.</p>
              <p>Juju does not replace failed state servers by itself. Recover in three guided steps: ensure availability, ensure it again, remove the failed machines.</p>
              <button type="button" className="button button-primary" onClick={openRecovery}>
                Start recovery
              </button>
            </div>
          ) : null}
          {recoveryOpen ? <RecoveryFlow environmentId={environmentId} /> : null}
          <ScalePanel environmentId={environmentId} status={status} running={running} />
          {applyOperationId !== null ? <ApplyProgress operationId={applyOperationId} onDismiss={dismiss} /> : null}
          <CurrentStateServers />
          {status.votingCount > 1 ? <ShrinkPanel environmentId={environmentId} voting={status.votingCount} /> : null}
        </>
      )}
    </div>
  );
}

function CurrentStateServers() {
  return (
    <section className="ha-progress" aria-labelledby="ha-current-title">
      <h2 id="ha-current-title">State servers, live</h2>
      <LiveStateServers />
    </section>
  );
}
