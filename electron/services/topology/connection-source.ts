import type { EnvironmentConnection } from '../connection/environment-connection';
import { PresenceReader } from './presence-reader';
import { readRound } from './topology-reader';
import type { TopologySource } from './topology-service';

/**
 * The topology's view of the connection layer: the environment's listed
 * state servers, and one round of reads over a state server's reused
 * juju-db client (`JujuDbClient`, legacy or driver). A state server that is not connected right now fails at once
 * with its session's actionable error (unreachable, host key unknown …), so
 * the round moves on to the next one without waiting.
 */
export function connectionTopologySource(connection: EnvironmentConnection): TopologySource {
  // Presence beings are the same on every state server: one cache for the environment.
  const presence = new PresenceReader();
  return {
    addresses: connection.target.stateServers.map((s) => s.address),
    read: async (address) => {
      const session = await connection.stateServer(address);
      return session.withMongo((client) => readRound(client, presence));
    },
  };
}
