import { QuorumError } from '../../../shared/errors';
import type { StateServerSession } from '../connection/state-server-session';

/**
 * Interactive reads (the Backups page's plan and server list) from whichever
 * state server answers first, failing at once when the environment's
 * connection is already known to be failing. Not for the backup itself,
 * which waits for the replica set as Juju does.
 *
 * Before, a read retried juju-db four times on one state server: with
 * juju-db down on a real host each attempt waited out the client's connect
 * timeout, and the error took ~22 s to reach the page.
 */

/** The part of an environment connection these reads need. */
export interface SessionSource {
  sessions(): readonly StateServerSession[];
  connectedSessions(): readonly StateServerSession[];
  /** The listed state servers, machine 0's first. */
  readonly target: { readonly name: string; readonly stateServers: readonly { readonly address: string }[] };
}

/**
 * The connected sessions of the listed state servers, in the target's order.
 * When none is connected: waits while one is still opening for the first
 * time (the page shows its loading state meanwhile), and otherwise rejects
 * at once with the first state server's error (its reconnection goes on in
 * the background; waiting for it would only delay the reason).
 */
export async function connectedStateServers(env: SessionSource): Promise<StateServerSession[]> {
  const listed = env.target.stateServers.map((s) => s.address);
  const byOrder = (sessions: readonly StateServerSession[]) =>
    [...sessions].filter((s) => listed.includes(s.address)).sort((a, b) => listed.indexOf(a.address) - listed.indexOf(b.address));
  const connected = byOrder(env.connectedSessions());
  if (connected.length > 0) return connected;
  const all = byOrder(env.sessions());
  const opening = all.filter((s) => s.state === 'connecting');
  if (opening.length > 0) {
    try {
      await Promise.any(opening.map((s) => s.whenConnected()));
    } catch {
      // Every opening attempt failed: their errors are reported below.
    }
    const now = byOrder(env.connectedSessions());
    if (now.length > 0) return now;
  }
  const failed = all.find((s) => s.error !== null);
  if (failed?.error) throw failed.error;
  throw new QuorumError('host-unreachable', `No state server of ${env.target.name} can be reached. Check the Topology page, then try again.`);
}

/**
 * Runs `read` on every connected state server at once, once each (no
 * retries), and resolves with the first answer. When all fail, rejects with
 * the error of the first listed state server (machine 0's, usually), which
 * is what the operator acts on.
 */
export async function readFromFirstAnswering<T>(env: SessionSource, read: (session: StateServerSession) => Promise<T>): Promise<T> {
  const sessions = await connectedStateServers(env);
  const attempts = sessions.map((s) => read(s));
  try {
    return await Promise.any(attempts);
  } catch (error) {
    const errors = error instanceof AggregateError ? error.errors : [error];
    const first = errors[0];
    throw first instanceof QuorumError ? first : new QuorumError('mongo-unavailable', 'No state server answered. The details are in the log.', { cause: first });
  }
}
