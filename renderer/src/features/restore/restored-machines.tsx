import type { RestoreResult } from '../../../../shared/ipc/channels/restore';

type Machine = RestoreResult['machines'][number];

/** The restored environment's machines: which is the state server, its vote, the agent's state. */
export function RestoredMachines({ machines, label }: { machines: readonly Machine[]; label: string }) {
  return (
    <table className="restore-table" aria-label={label}>
      <caption>{label}</caption>
      <thead>
        <tr>
          <th scope="col">Machine</th>
          <th scope="col">Address</th>
          <th scope="col">Role</th>
          <th scope="col">Agent</th>
          <th scope="col">Life</th>
        </tr>
      </thead>
      <tbody>
        {machines.map((m) => (
          <tr key={m.machineId} aria-label={`Machine ${m.machineId}`}>
            <th scope="row">{m.machineId}</th>
            <td>{m.address ?? '—'}</td>
            <td>{m.isStateServer ? `state server${m.hasVote ? ', has-vote' : ', no vote'}` : 'workload'}</td>
            <td>{m.agentState}</td>
            <td>{m.life}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "One state server: machine 0 (10.23.0.10)", drawn as the topology's state-server map is, smaller. */
export function RestoredTopology({ result }: { result: RestoreResult }) {
  return (
    <ul className="restore-topology" aria-label="Restored topology">
      {result.stateServers.map((m) => (
        <li key={m.machineId} className="restore-node restore-node-server" aria-label={`State server ${m.machineId}`}>
          <strong>Machine {m.machineId}</strong>
          <span>{m.address ?? 'no address'}</span>
          <span>{m.hasVote ? 'has-vote' : 'no vote'}</span>
          <span>{m.agentState}</span>
        </li>
      ))}
      {result.machines
        .filter((m) => !m.isStateServer)
        .map((m) => (
          <li key={m.machineId} className="restore-node" aria-label={`Workload machine ${m.machineId}`}>
            <strong>Machine {m.machineId}</strong>
            <span>{m.address ?? 'no address'}</span>
            <span>{m.agentState}</span>
          </li>
        ))}
    </ul>
  );
}
