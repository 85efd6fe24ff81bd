import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { MachineView, MemberView } from '../../../../shared/model/topology';
import { useAppStore } from '../../store/store-context';
import { agentText, healthText, lagText, machineLabel, memberStateText } from './format';
import { PowerControls } from './power-controls';
import { selectExtraMembers, selectIsSandbox, selectSelectedMachineId, selectStateServers } from './selectors';

/**
 * The replica set at a glance: one card per state server, the primary
 * highlighted, each with its vote status in Juju's words, member state,
 * health and lag. Cards are memoized by machine object, which the store
 * keeps identical while a machine is unchanged.
 */
export function StateServerMap() {
  const servers = useAppStore(useShallow(selectStateServers));
  const extras = useAppStore(useShallow(selectExtraMembers));
  const sandbox = useAppStore(selectIsSandbox);
  return (
    <section className="server-map" aria-labelledby="server-map-title">
      <h2 id="server-map-title">State servers</h2>
      {servers.length === 0 ? <p className="muted">No machine has JobManageEnviron: this environment records no state server.</p> : null}
      <div className="server-grid">
        {servers.map((machine) => (
          <StateServerCard key={machine.id} machine={machine} sandbox={sandbox} />
        ))}
        {extras.map((member) => (
          <ExtraMemberCard key={member.memberId} member={member} />
        ))}
      </div>
    </section>
  );
}

const StateServerCard = memo(function StateServerCard({ machine, sandbox }: { machine: MachineView; sandbox: boolean }) {
  const select = useAppStore((s) => s.selectMachine);
  const selected = useAppStore((s) => selectSelectedMachineId(s) === machine.id);
  const classes = ['server-card', machine.isPrimary ? 'is-primary' : '', machine.reachable ? '' : 'is-down', machine.stale ? 'is-stale' : '', selected ? 'is-selected' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <article className={classes} aria-label={machineLabel(machine.id)}>
      <header className="server-card-head">
        <h3>{machineLabel(machine.id)}</h3>
        {machine.isPrimary ? <span className="badge badge-primary">Primary</span> : null}
        {!machine.reachable ? <span className="badge badge-down">Down</span> : null}
        {machine.stale ? <span className="badge">Last known</span> : null}
      </header>
      <dl className="facts">
        <dt>Address</dt>
        <dd>{machine.address ?? '—'}</dd>
        <dt>Vote</dt>
        <dd className="vote-status">{machine.voteStatus ?? '—'}</dd>
        <dt>Member</dt>
        <dd className="member-state">{memberStateText(machine.member)}</dd>
        <dt>Health</dt>
        <dd>{healthText(machine.member)}</dd>
        <dt>Lag</dt>
        <dd>{lagText(machine.member)}</dd>
        <dt>Agent</dt>
        <dd>{agentText(machine)}</dd>
      </dl>
      <div className="card-actions">
        <button type="button" className="button button-quiet" aria-pressed={selected} onClick={() => select(selected ? null : machine.id)}>
          Details of machine {machine.id}
        </button>
        {sandbox ? <PowerControls machine={machine} /> : null}
      </div>
    </article>
  );
});

const ExtraMemberCard = memo(function ExtraMemberCard({ member }: { member: MemberView }) {
  return (
    <article className={member.healthy ? 'server-card is-extra' : 'server-card is-extra is-down'} aria-label={`Member ${member.host}`}>
      <header className="server-card-head">
        <h3>Member {member.host}</h3>
        {member.isPrimary ? <span className="badge badge-primary">Primary</span> : null}
      </header>
      <p className="muted">This replica-set member matches no Juju machine.</p>
      <dl className="facts">
        <dt>Member</dt>
        <dd>{member.state}</dd>
        <dt>Votes</dt>
        <dd>{member.voting ? 'yes' : 'no'}</dd>
        <dt>Health</dt>
        <dd>{healthText(member)}</dd>
      </dl>
    </article>
  );
});
