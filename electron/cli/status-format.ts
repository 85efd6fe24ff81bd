import { stringify } from 'yaml';
import type { MachineView, Topology } from '../../shared/model/topology';

/**
 * `quorum status`: the state servers as `juju status` (1.25, yaml by
 * default, or json) shows them — its machine keys in its order
 * (`cmd/juju/status` `machineStatus`: agent-state, agent-state-info,
 * agent-version, dns-name, instance-id, instance-state, life, series,
 * hardware, state-server-member-status), machines only those with
 * JobManageEnviron — followed by a `quorum` section with what the console's
 * quorum line says (Juju itself has no such key).
 */

export interface StatusDocument {
  readonly environment: string;
  readonly machines: Record<string, Record<string, string>>;
  readonly quorum: {
    readonly voting: number;
    readonly 'healthy-voters': number;
    readonly majority: number;
    readonly holds: boolean;
    readonly 'survives-failures': number;
    readonly primary?: string;
    readonly summary: string;
    readonly stale?: boolean;
  };
}

function machineStatus(m: MachineView): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (key: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') out[key] = value;
  };
  put('agent-state', m.agentState);
  put('agent-state-info', m.agentStateInfo);
  put('agent-version', m.agentVersion);
  put('dns-name', m.address);
  put('instance-id', m.instanceId);
  put('instance-state', m.instanceState);
  // Juju's API leaves life empty while the machine is alive.
  put('life', m.life === 'alive' ? null : m.life);
  put('series', m.series);
  put('hardware', m.hardware);
  put('state-server-member-status', m.voteStatus);
  return out;
}

export function statusDocument(environmentName: string, topology: Topology): StatusDocument {
  const machines: Record<string, Record<string, string>> = {};
  for (const m of topology.machines) if (m.isStateServer || m.voteStatus !== null) machines[m.id] = machineStatus(m);
  const q = topology.quorum;
  return {
    environment: environmentName,
    machines,
    quorum: {
      voting: q.voting,
      'healthy-voters': q.healthyVoters,
      majority: q.majority,
      holds: q.holds,
      'survives-failures': q.survivesFailures,
      ...(topology.primary === null ? {} : { primary: topology.primary }),
      summary: q.sentence,
      ...(topology.stale ? { stale: true } : {}),
    },
  };
}

export function formatStatus(doc: StatusDocument, format: 'yaml' | 'json'): string {
  // Go's json.Marshal: compact, one line.
  if (format === 'json') return `${JSON.stringify(doc)}\n`;
  return stringify(doc, { lineWidth: 0 });
}
