import { PresenceReader } from '../../services/topology/presence-reader';
import type { AgentAliveFn } from './context';
import type { JujuState } from './state';

/**
 * `Machine.AgentPresence()` read the way Juju 1.25 reads it: the agents'
 * pings in `presence.pings` and their beings, through the API server's own
 * State. An agent that stopped stays "alive" until its last ping's slot
 * ages out (up to a minute), as in Juju; an orchestrator that knows agent
 * state directly may pass its own `AgentAliveFn` instead.
 */
export function presenceAgentAlive(state: JujuState): AgentAliveFn {
  const reader = new PresenceReader();
  return (machineIds) =>
    state.run(async (client) => {
      const now = Date.now();
      const pings = await reader.fetchPings(client, state.envUuid, now);
      return reader.machinePresence(client, state.envUuid, pings, now, machineIds);
    });
}
