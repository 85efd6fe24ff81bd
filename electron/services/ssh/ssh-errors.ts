import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';

/**
 * Translation of ssh2 and socket errors into operator-facing QuorumErrors.
 * Each says which machine, how Quorum tried to reach it, what went wrong and
 * what to check; none carries a secret (library messages are redacted).
 */

/** Where Quorum connects, for messages: `10.23.0.10 (127.0.0.1:40222)`, or just `host:port` when they agree. */
export interface SshPeer {
  /** The address Juju records for the machine. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly keyFile: string;
}

export function describePeer(peer: Pick<SshPeer, 'address' | 'host' | 'port'>): string {
  if (peer.address === peer.host) return peer.port === 22 ? peer.host : `${peer.host}:${peer.port}`;
  return `${peer.address} (${peer.host}:${peer.port})`;
}

const UNREACHABLE_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'the network is unreachable',
  EHOSTDOWN: 'the host is down',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS lookup failed)',
  ECONNRESET: 'the connection was reset',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection was closed',
};

function peerDetails(peer: SshPeer): Record<string, string | number> {
  return { address: peer.address, host: peer.host, port: peer.port };
}

/** Always names the port tried: `10.23.0.10:22`, or `10.23.0.10 (127.0.0.1:40222)`. */
function describeTried(peer: Pick<SshPeer, 'address' | 'host' | 'port'>): string {
  const tried = `${peer.host}:${peer.port}`;
  return peer.address === peer.host ? tried : `${peer.address} (${tried})`;
}

/** How to make Quorum try another SSH port. */
export const SSH_PORT_HINT =
  "To use another SSH port, set it in Manage environments (SSH port, or host:port in an address); a .jenv environment always uses port 22, Juju's default.";

/** The machine could not be reached (refused, timed out, reset …). */
export function hostUnreachable(peer: SshPeer, reason: string, cause?: unknown): QuorumError {
  return new QuorumError(
    'host-unreachable',
    `Could not reach ${describeTried(peer)} over SSH: ${reason}. Check the machine is running and its SSH server listens on port ${peer.port}, then retry. ${SSH_PORT_HINT}`,
    { details: { ...peerDetails(peer), reason }, cause },
  );
}

/** The established SSH connection dropped. */
export function connectionLost(peer: SshPeer, cause?: unknown): QuorumError {
  return new QuorumError(
    'host-unreachable',
    `The SSH connection to ${describePeer(peer)} was lost. Quorum reconnects on its own when the machine is reachable again.`,
    { details: { ...peerDetails(peer), reason: 'connection lost' }, cause },
  );
}

/**
 * Maps an error from ssh2's `connect` (before `ready`) to a QuorumError.
 * Host-key refusals are decided by Quorum's verifier, which passes its own
 * error as `hostKeyError`.
 */
export function translateConnectError(
  error: unknown,
  peer: SshPeer,
  secrets: SecretRegistry,
  hostKeyError?: QuorumError,
): QuorumError {
  if (error instanceof QuorumError) return error;
  if (hostKeyError) return hostKeyError;
  const err = error as Error & { code?: string; level?: string };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && UNREACHABLE_REASONS[code]) return hostUnreachable(peer, UNREACHABLE_REASONS[code]!, error);
  if (err?.level === 'client-timeout') {
    return hostUnreachable(peer, 'no SSH handshake before the time limit', error);
  }
  if (err?.level === 'client-authentication') {
    return new QuorumError(
      'ssh-auth-failed',
      `${describePeer(peer)} refused the SSH key ${peer.keyFile} for user ${peer.username}. Check that the key's public half is in ~${peer.username}/.ssh/authorized_keys on the machine (Juju installs juju_id_rsa.pub there) and that the user name is right.`,
      { details: { ...peerDetails(peer), keyFile: peer.keyFile, user: peer.username }, cause: error },
    );
  }
  const message = secrets.redact(err?.message ?? String(error));
  if (err?.level === 'protocol' || err?.level === 'handshake') {
    return new QuorumError(
      'host-unreachable',
      `SSH with ${describeTried(peer)} failed during the handshake (${message}). Check that an SSH server runs on port ${peer.port} and accepts modern algorithms. ${SSH_PORT_HINT}`,
      { details: { ...peerDetails(peer), reason: message }, cause: error },
    );
  }
  return hostUnreachable(peer, message, error);
}
