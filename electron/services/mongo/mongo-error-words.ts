import { QuorumError } from '../../../shared/errors';
import { SUPPORTED_MONGO_VERSIONS } from './juju-db-client';
import type { MongoErrorContext } from './mongo-errors';

/**
 * The sentences `translateMongoError` gives an operator, one per thing that
 * can go wrong between Quorum and a state server's juju-db: each says what
 * happened in words, where (machine and address), and what to check. The
 * driver's own (redacted) text rides along in `details.raw`, for the UI's
 * "Details" disclosure and the log, never in the sentence itself.
 */

const JUJU_DB = '127.0.0.1:37017';
const STATUS = '`sudo service juju-db status`';

export class MongoErrorWords {
  readonly #context: MongoErrorContext;
  readonly #raw: string;

  constructor(context: MongoErrorContext, raw: string) {
    this.#context = context;
    this.#raw = raw;
  }

  /** `machine 0 (10.23.0.10)`, or the address alone when the machine is not known yet. */
  get #where(): string {
    const id = this.#context.machineId;
    return id === undefined || id === null ? this.#context.address : `machine ${id} (${this.#context.address})`;
  }

  #error(code: 'cancelled' | 'mongo-unsupported' | 'mongo-auth-failed' | 'tls-failed' | 'mongo-unavailable' | 'internal', message: string, reason: string, cause: unknown, extra: Record<string, string> = {}): QuorumError {
    return new QuorumError(code, message, {
      details: { address: this.#context.address, user: this.#context.user, reason, raw: this.#raw, ...extra },
      cause,
    });
  }

  cancelled(cause: unknown): QuorumError {
    return this.#error('cancelled', 'The operation was cancelled before juju-db answered; nothing was changed by the cancelled request.', 'cancelled', cause);
  }

  unsupported(found: string, cause: unknown): QuorumError {
    return this.#error(
      'mongo-unsupported',
      `juju-db on ${this.#where} runs MongoDB ${found}, which Quorum cannot speak to. Quorum supports ${SUPPORTED_MONGO_VERSIONS}.`,
      'unsupported',
      cause,
      { found },
    );
  }

  authRefused(cause: unknown): QuorumError {
    const { user } = this.#context;
    return this.#error(
      'mongo-auth-failed',
      `juju-db on ${this.#where} refused ${user}'s password (the statepassword in its agent.conf): authentication refused. The agent's password may have changed since Quorum read it, or this is not the machine's own database; reconnect to re-read agent.conf, and check the machine agent is healthy.`,
      'auth-refused',
      cause,
    );
  }

  certificateRejected(why: string, cause: unknown): QuorumError {
    const source = this.#context.caSource ? ` (${this.#context.caSource})` : '';
    return this.#error(
      'tls-failed',
      `The TLS certificate of juju-db on ${this.#where} could not be verified against the environment's CA${source}: ${why}. If the environment was rebuilt, refresh its CA certificate (the .jenv ca-cert); otherwise do not connect.`,
      'certificate-rejected',
      cause,
    );
  }

  notPrimary(why: string, cause: unknown): QuorumError {
    return this.#error('mongo-unavailable', `juju-db on ${this.#where} is not the primary (${why}): the replica set is choosing another primary. Wait a few seconds for the election to settle, then retry.`, 'not-primary', cause);
  }

  /** The SSH server could not connect to juju-db's port on the machine (sshd: `connect_to 127.0.0.1 port 37017: failed`). */
  portClosed(how: 'refused' | 'prohibited', channelDetail: string, cause: unknown): QuorumError {
    const forwarding =
      how === 'prohibited'
        ? ' If juju-db is running, the SSH server may forbid forwarding for this user instead (AllowTcpForwarding in /etc/ssh/sshd_config).'
        : '';
    return new QuorumError(
      'mongo-unavailable',
      `juju-db's port is closed on ${this.#where}: nothing listens on ${JUJU_DB} there (the SSH server could not connect to it), so juju-db is down. Check it on the machine with ${STATUS} (start it with \`sudo service juju-db start\`), then retry.${forwarding}`,
      { details: { address: this.#context.address, user: this.#context.user, reason: 'port-closed', raw: channelDetail.slice(0, 600) }, cause },
    );
  }

  /** Accepted the connection, then said nothing (or not in time). */
  noAnswer(timeoutMs: number | null, cause: unknown): QuorumError {
    const within = timeoutMs === null ? 'in time' : `within ${Math.max(1, Math.round(timeoutMs / 1000))} s`;
    return this.#error(
      'mongo-unavailable',
      `juju-db on ${this.#where} did not answer ${within}: something accepts connections on ${JUJU_DB} but does not reply. juju-db may be starting, overloaded or hung; check ${STATUS} and its log (/var/log/juju/juju-db.log or syslog) on the machine. Quorum retries on its own.`,
      'no-answer',
      cause,
      timeoutMs === null ? {} : { timeoutMs: String(timeoutMs) },
    );
  }

  /** What answered on the port does not speak TLS as juju-db does. */
  handshakeFailed(cause: unknown): QuorumError {
    return this.#error(
      'tls-failed',
      `The TLS handshake with juju-db on ${this.#where} failed: what answers on ${JUJU_DB} does not speak TLS as juju-db does. Check that juju-db owns that port (\`sudo ss -tlnp | grep 37017\` should show mongod) and that it runs with SSL (${STATUS}; Juju starts it with --sslOnNormalPorts).`,
      'tls-handshake-failed',
      cause,
    );
  }

  /** The connection was reset or closed, with no better reason known. */
  connectionDropped(duringHandshake: boolean, cause: unknown): QuorumError {
    const when = duringHandshake ? 'during the TLS handshake' : 'before it answered';
    return this.#error(
      'mongo-unavailable',
      `juju-db on ${this.#where} closed the connection ${when}. juju-db may be restarting or refusing connections (too many open, or it is shutting down); check ${STATUS} on the machine. Quorum retries on its own.`,
      'connection-closed',
      cause,
    );
  }

  serverError(serverCode: string, cause: unknown): QuorumError {
    return this.#error('internal', `juju-db on ${this.#where} answered with an error${serverCode}: ${this.#raw.slice(0, 300)}`, 'server-error', cause);
  }
}
