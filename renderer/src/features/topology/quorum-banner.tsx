import { memo } from 'react';
import { sectionHref } from '../../components/section-nav';
import { useAppStore } from '../../store/store-context';
import { selectTopology } from './selectors';

/**
 * The one sentence an operator needs first: how many voters are healthy and
 * how many more failures the replica set survives — or, when the majority is
 * gone, that it cannot elect a primary and restore is the way out.
 */
export const QuorumBanner = memo(function QuorumBanner() {
  const quorum = useAppStore((s) => selectTopology(s)?.quorum ?? null);
  const primary = useAppStore((s) => selectTopology(s)?.primary ?? null);
  const stale = useAppStore((s) => selectTopology(s)?.stale ?? false);
  const navigate = useAppStore((s) => s.navigate);
  const openRecovery = useAppStore((s) => s.openHaRecovery);
  const stateServerDown = useAppStore((s) => selectTopology(s)?.machines.some((m) => m.isStateServer && !m.reachable && m.voteStatus === 'has-vote') ?? false);
  if (quorum === null) return null;

  if (!quorum.holds && quorum.voting > 0) {
    return (
      <section className="quorum-banner is-lost" role="alert" aria-label="Quorum">
        <p className="quorum-title">Quorum lost</p>
        <p>{quorum.sentence}</p>
        {stale ? <p className="muted">Quorum cannot reach any state server: this is the last known state.</p> : null}
        <p>
          <a href={sectionHref('restore')} className="button button-danger" onClick={() => navigate('restore')}>
            Go to Restore
          </a>
        </p>
      </section>
    );
  }
  return (
    <section className={quorum.survivesFailures === 0 ? 'quorum-banner is-fragile' : 'quorum-banner'} role="status" aria-label="Quorum">
      <p className="quorum-title">{quorum.sentence}</p>
      {quorum.holds && primary === null ? <p>No primary right now: the voting members are electing one.</p> : null}
      {quorum.holds && stateServerDown && !stale ? (
        <p>
          A state server is down. Juju does not replace it by itself:{' '}
          <a
            href={sectionHref('ha')}
            className="button"
            onClick={() => {
              openRecovery();
              navigate('ha');
            }}
          >
            Recover failed state servers
          </a>
        </p>
      ) : null}
    </section>
  );
});
