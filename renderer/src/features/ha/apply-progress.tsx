import { memo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { haApplyResultSchema, type HaApplyResult } from '../../../../shared/ipc/channels/ha';
import type { MachineView } from '../../../../shared/model/topology';
import { useAppStore } from '../../store/store-context';
import { agentText } from '../topology/format';
import { selectStateServers } from '../topology/selectors';
import { HaError } from './ha-error';
import { ReportLines } from './plan-preview';

/**
 * A change under way and its outcome: the operation's phase, the API's
 * answer in Juju's words and whether it matched the preview, then the
 * state servers live (from the topology the app streams), each with the
 * transitions seen so far: pending → started, adding-vote → has-vote,
 * removing-vote → no-vote.
 */
export function ApplyProgress({ operationId, onDismiss }: { operationId: string; onDismiss: () => void }) {
  const operation = useAppStore((s) => s.operations.byId[operationId]);
  const previewLines = useAppStore((s) => s.ha.appliedPreviewLines);
  const progress = useAppStore((s) => (s.ha.progress?.operationId === operationId ? s.ha.progress : null));
  const parsed = operation?.state === 'succeeded' ? haApplyResultSchema.safeParse(operation.result) : null;
  const result: HaApplyResult | null = parsed?.success === true ? parsed.data : null;
  const lines = result?.lines ?? progress?.lines ?? null;
  const matched = result?.matchedPreview ?? progress?.matchedPreview ?? null;
  const running = operation === undefined || operation.state === 'running';

  return (
    <section className="ha-progress" aria-labelledby="ha-progress-title">
      <h2 id="ha-progress-title">{running ? 'Change under way' : 'Last change'}</h2>
      {operation !== undefined ? (
        <p className="status-line" role="status">
          {operation.state === 'running' ? operation.progress.message : operation.state === 'succeeded' ? 'Done: every wanted vote is held.' : operation.state === 'cancelled' ? 'Stopped following the change (Juju carries on with it).' : 'The change failed.'}
        </p>
      ) : (
        <p className="status-line" role="status">
          Starting…
        </p>
      )}
      {operation?.state === 'failed' && operation.error !== undefined ? <HaError error={operation.error} /> : null}
      {lines !== null ? (
        <div className="ha-result">
          <h3>Juju&apos;s answer</h3>
          <ReportLines lines={lines} label="Juju's answer" empty="Juju made no change (the state servers already had this shape)." />
          {matched === true ? <p className="ha-match">Matches the preview.</p> : null}
          {matched === false ? (
            <div className="notice notice-warning">
              <p className="notice-title">Differs from the preview</p>
              {result !== null && result.differences.length > 0 ? (
                <ul aria-label="Differences from the preview">
                  {result.differences.map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              ) : null}
              {previewLines !== null ? <ReportLines lines={previewLines} label="The preview" empty="The preview planned no change." /> : null}
            </div>
          ) : null}
        </div>
      ) : null}
      {result?.settledMs != null ? <p className="muted">Every wanted vote held {(result.settledMs / 1000).toFixed(1)} s after Apply.</p> : null}
      {!running ? (
        <button type="button" className="button button-quiet" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </section>
  );
}

type Seen = Readonly<Record<string, { agent: readonly string[]; vote: readonly string[] }>>;

/** Appends each machine's new agent state / vote status to what was seen before. */
function record(seen: Seen, servers: readonly MachineView[]): Seen {
  let next: Record<string, { agent: readonly string[]; vote: readonly string[] }> | null = null;
  for (const m of servers) {
    const was = seen[m.id] ?? { agent: [], vote: [] };
    const vote = m.voteStatus ?? 'no-vote';
    const agentChanged = was.agent[was.agent.length - 1] !== m.agentState;
    const voteChanged = was.vote[was.vote.length - 1] !== vote;
    if (!agentChanged && !voteChanged) continue;
    next ??= { ...seen };
    next[m.id] = { agent: agentChanged ? [...was.agent, m.agentState] : was.agent, vote: voteChanged ? [...was.vote, vote] : was.vote };
  }
  return next ?? seen;
}

/** The state servers as the topology shows them now, with the transitions seen while this panel is shown. */
export function LiveStateServers() {
  const servers = useAppStore(useShallow(selectStateServers));
  const [seen, setSeen] = useState<Seen>(() => record({}, servers));
  const [recorded, setRecorded] = useState(servers);
  if (recorded !== servers) {
    // Adjusting state while rendering (React's pattern for "remember what changed"), not in an effect.
    setRecorded(servers);
    setSeen(record(seen, servers));
  }
  return (
    <ul className="ha-live" aria-label="Live state servers">
      {servers.map((m) => (
        <LiveRow key={m.id} machine={m} agentSeen={seen[m.id]?.agent ?? []} voteSeen={seen[m.id]?.vote ?? []} />
      ))}
    </ul>
  );
}

const LiveRow = memo(function LiveRow({ machine, agentSeen, voteSeen }: { machine: MachineView; agentSeen: readonly string[]; voteSeen: readonly string[] }) {
  const classes = ['ha-live-row', machine.reachable ? '' : 'is-down', machine.voteStatus === 'has-vote' ? 'has-vote' : ''].filter(Boolean).join(' ');
  return (
    <li className={classes} aria-label={`Machine ${machine.id}`}>
      <span className="ha-live-name">Machine {machine.id}</span>
      <span className="ha-live-agent">{agentText(machine)}</span>
      <span className="ha-live-vote vote-status">{machine.voteStatus ?? '—'}</span>
      {machine.isPrimary ? <span className="badge badge-primary">Primary</span> : null}
      {agentSeen.length > 1 || voteSeen.length > 1 ? (
        <span className="ha-live-history muted">
          {[agentSeen.length > 1 ? agentSeen.join(' → ') : null, voteSeen.length > 1 ? voteSeen.join(' → ') : null].filter(Boolean).join('; ')}
        </span>
      ) : null}
    </li>
  );
});
