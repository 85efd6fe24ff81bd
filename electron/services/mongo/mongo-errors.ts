import { QuorumError } from '../../../shared/errors';
import { JujuDbTimeoutError, JujuDbUnsupportedServerError, SUPPORTED_MONGO_VERSIONS } from './juju-db-client';
import type { SecretRegistry } from '../../../shared/redact';

/**
 * The one place driver errors become operator-facing errors, in the spirit
 * of Compass's data-service wrapper: authentication (code 18) →
 * `mongo-auth-failed`, certificate problems → `tls-failed`, network and
 * server-selection failures → `mongo-unavailable`. Driver messages can quote
 * connection strings and hosts; every message is redacted (registered
 * secrets, `user:password@` in URIs) before it is used.
 */

export interface MongoErrorContext {
  /** Machine address, e.g. `10.23.0.10`. */
  readonly address: string;
  /** User the driver authenticated as, e.g. `machine-0`. */
  readonly user: string;
  /** Where the CA came from, for tls-failed messages. */
  readonly caSource?: string;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);
const AUTH_CODES = new Set([18, 11]); // AuthenticationFailed, UserNotFound
// 10054/10058/13435: 2.4's "not master" (write, command, query without slaveOk).
const NOT_PRIMARY_CODES = new Set([10107, 13435, 13436, 189, 91, 11600, 11602, 10054, 10058]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  codeName?: unknown;
  cause?: unknown;
  reason?: { servers?: Map<string, { error?: unknown }> };
}

/** The error, its causes, and the per-server errors of a selection failure. */
function collect(error: unknown, out: ErrorLike[] = [], depth = 0): ErrorLike[] {
  if (error === null || typeof error !== 'object' || depth > 6 || out.includes(error as ErrorLike)) return out;
  const e = error as ErrorLike;
  out.push(e);
  collect(e.cause, out, depth + 1);
  const servers = e.reason?.servers;
  if (servers instanceof Map) for (const s of servers.values()) collect(s?.error, out, depth + 1);
  return out;
}

/** Redacts secrets and URI credentials from driver text. */
export function redactDriverText(text: string, secrets: SecretRegistry): string {
  return secrets.redact(text.replace(/(mongodb(?:\+srv)?:\/\/)[^@/\s]*@/gi, '$1[redacted]@'));
}

export function translateMongoError(error: unknown, context: MongoErrorContext, secrets: SecretRegistry): QuorumError {
  if (error instanceof QuorumError) return error;
  const all = collect(error);
  const first = all[0];
  const details = { address: context.address, user: context.user };
  const raw = redactDriverText(first?.message ?? String(error), secrets).slice(0, 300);

  if (first?.name === 'AbortError') {
    return new QuorumError('cancelled', 'The operation was cancelled before juju-db answered; nothing was changed by the cancelled request.', { details, cause: error });
  }
  const unsupported = all.find((e): e is JujuDbUnsupportedServerError => e instanceof JujuDbUnsupportedServerError);
  if (unsupported) {
    return new QuorumError(
      'mongo-unsupported',
      `juju-db on ${context.address} runs MongoDB ${unsupported.found}, which Quorum cannot speak to. Quorum supports ${SUPPORTED_MONGO_VERSIONS}.`,
      { details: { ...details, found: unsupported.found }, cause: error },
    );
  }
  // "auth fails" is MongoDB 2.4's MONGODB-CR answer (no code); later servers say "Authentication failed." with code 18.
  const auth = all.find((e) => (typeof e.code === 'number' && AUTH_CODES.has(e.code)) || /Authentication failed|auth fails/i.test(e.message ?? ''));
  if (auth) {
    return new QuorumError(
      'mongo-auth-failed',
      `juju-db on ${context.address} refused ${context.user}'s password (the statepassword in its agent.conf). The agent's password may have changed since Quorum read it, or this is not the machine's own database; reconnect to re-read agent.conf, and check the machine agent is healthy.`,
      { details, cause: error },
    );
  }
  const tls = all.find(
    (e) =>
      (typeof e.code === 'string' && TLS_CODES.has(e.code)) ||
      /certificate|self[- ]signed|SSL routines/i.test(e.message ?? ''),
  );
  if (tls) {
    const why = redactDriverText(tls.message ?? 'certificate rejected', secrets).slice(0, 200);
    return new QuorumError(
      'tls-failed',
      `The TLS certificate of juju-db on ${context.address} could not be verified against the environment's CA${context.caSource ? ` (${context.caSource})` : ''}: ${why}. If the environment was rebuilt, refresh its CA certificate (the .jenv ca-cert); otherwise do not connect.`,
      { details: { ...details, reason: why }, cause: error },
    );
  }
  const notPrimary = all.find((e) => (typeof e.code === 'number' && NOT_PRIMARY_CODES.has(e.code)) || /^not master/.test(e.message ?? ''));
  if (notPrimary) {
    return new QuorumError(
      'mongo-unavailable',
      `juju-db on ${context.address} is not the primary (${redactDriverText(notPrimary.message ?? '', secrets).slice(0, 200)}). Retry against the current primary.`,
      { details: { ...details, reason: 'not-primary' }, cause: error },
    );
  }
  const timeout = all.find((e): e is JujuDbTimeoutError => e instanceof JujuDbTimeoutError);
  if (timeout && timeout.timeoutMs > 0) {
    return new QuorumError(
      'mongo-unavailable',
      `juju-db on ${context.address} did not answer within ${Math.round(timeout.timeoutMs / 1000)} s through the SSH tunnel; the operation was cancelled. Check that the juju-db service runs and is not overloaded (service juju-db status); Quorum retries on its own.`,
      { details: { ...details, reason: raw }, cause: error },
    );
  }
  const network = all.find((e) => /MongoNetwork|MongoServerSelection|MongoTopologyClosed|MongoNotConnected|PoolClosed|PoolCleared|JujuDbNetworkError|JujuDbTimeoutError/.test(e.name ?? ''));
  if (network) {
    return new QuorumError(
      'mongo-unavailable',
      `juju-db on ${context.address} did not answer through the SSH tunnel (${raw}). Check that the juju-db service runs on the machine (service juju-db status); Quorum retries on its own.`,
      { details: { ...details, reason: raw }, cause: error },
    );
  }
  const serverCode = typeof first?.code === 'number' ? ` (code ${first.code}${typeof first.codeName === 'string' ? ` ${first.codeName}` : ''})` : '';
  return new QuorumError('internal', `juju-db on ${context.address} answered with an error${serverCode}: ${raw}`, {
    details: { ...details, reason: raw },
    cause: error,
  });
}
