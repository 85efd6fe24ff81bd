import { useState } from 'react';
import { useAppStore } from '../../store/store-context';
import { agentText, healthText, lagText, machineLabel, memberStateText } from './format';
import { selectIsSandbox, selectSelectedMachine } from './selectors';

/**
 * The selected machine as `juju status -v` shows it, with the replica-set
 * facts `juju status` cannot show (member state, health, lag) beside.
 */
export function MachineDetail() {
  const machine = useAppStore(selectSelectedMachine);
  const select = useAppStore((s) => s.selectMachine);
  const sandbox = useAppStore(selectIsSandbox);
  if (machine === null) return null;
  const rows: [string, string][] = [
    ['agent-state', machine.agentState],
    ...(machine.agentStateInfo === null ? [] : [['agent-state-info', machine.agentStateInfo] as [string, string]]),
    ['agent-version', machine.agentVersion ?? '—'],
    ['dns-name', machine.address ?? '—'],
    ['instance-id', machine.instanceId ?? 'pending'],
    ['instance-state', machine.instanceState ?? '—'],
    ['series', machine.series ?? '—'],
    ['hardware', machine.hardware ?? '—'],
    ['jobs', machine.jobs.join(', ') || '—'],
    ['life', machine.life],
  ];
  if (machine.voteStatus !== null) rows.push(['state-server-member-status', machine.voteStatus]);
  if (machine.isStateServer) {
    rows.push(
      ['member', machine.member === null ? 'no member' : `${machine.member.host} (member ${machine.member.memberId})`],
      ['member state', memberStateText(machine.member)],
      ['health', healthText(machine.member)],
      ['replication lag', lagText(machine.member)],
      ['votes', machine.member === null ? '—' : machine.member.voting ? '1' : '0'],
    );
    if (machine.member?.message) rows.push(['member message', machine.member.message]);
  }
  return (
    <section className="machine-detail" aria-label={`${machineLabel(machine.id)} details`}>
      <header className="machine-detail-head">
        <h2>
          {machineLabel(machine.id)}
          {machine.isPrimary ? <span className="badge badge-primary">Primary</span> : null}
        </h2>
        <button type="button" className="button button-quiet" onClick={() => select(null)}>
          Close details
        </button>
      </header>
      {machine.stale ? <p className="muted">Last known facts: Quorum cannot reach the state servers right now.</p> : null}
      {!machine.reachable && !machine.stale ? <p className="notice notice-error">{machineLabel(machine.id)} is down ({agentText(machine)}).</p> : null}
      <dl className="detail-facts">
        {rows.map(([key, value]) => (
          <div key={key} className="detail-row">
            <dt>{key}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {sandbox ? <SandboxFaults machineId={machine.id} /> : null}
    </section>
  );
}

/**
 * Sandbox fault injection beyond power: a new host key makes the machine
 * look rebuilt (or impersonated), which Quorum must refuse on its next
 * connection (after a power cycle, say).
 */
function SandboxFaults({ machineId }: { machineId: string }) {
  const rotate = useAppStore((s) => s.rotateHostKey);
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  return (
    <div className="sandbox-faults">
      <h3>Sandbox</h3>
      <button type="button" className="button" onClick={() => void rotate(machineId).then(setFingerprint)}>
        Change host key of machine {machineId}
      </button>
      {fingerprint === null ? null : (
        <p role="status">
          Machine {machineId} now presents <code>{fingerprint}</code>. Quorum refuses it on its next connection (power-cycle the machine to see it).
        </p>
      )}
    </div>
  );
}
